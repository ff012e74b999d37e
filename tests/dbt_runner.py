"""The one way tests run the real dbt project on a scratch DuckDB file (each test module its own selection)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb

DBT_PROJECT = Path(__file__).resolve().parent.parent / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"


def dbt_build(warehouse: Path, work: Path, select: list[str], exclude: list[str] | None = None,
              dbt_vars: dict | None = None, timeout: int = 600, command: str = "build") -> subprocess.CompletedProcess:
    """`dbt build --select ...` (or another `command`) on `warehouse` (OPSREADY_WAREHOUSE), with target and logs
    under `work` so concurrent builds never share dbt's target folder; tests of models outside the selection are
    not pulled in."""
    env = dict(os.environ, OPSREADY_WAREHOUSE=str(warehouse), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    cmd = [str(DBT), command, "--profiles-dir", str(DBT_PROJECT), "--project-dir", str(DBT_PROJECT),
           "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
           "--indirect-selection", "cautious"]
    if dbt_vars is not None:
        cmd += ["--vars", json.dumps(dbt_vars)]
    cmd += ["--select", *select]
    if exclude:
        cmd += ["--exclude", *exclude]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def build_on_raw(work: Path, write_raw: Callable[[duckdb.DuckDBPyConnection], None],
                 select: list[str]) -> duckdb.DuckDBPyConnection:
    """A fresh warehouse under `work`, its raw tables written by `write_raw`, then `dbt build` of `select`; returns a
    read-only connection to the built warehouse (the build must pass)."""
    warehouse = work / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        write_raw(con)
    result = dbt_build(warehouse, work, select)
    assert result.returncode == 0, result.stdout[-6000:]
    return duckdb.connect(str(warehouse), read_only=True)
