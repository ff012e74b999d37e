"""The one way tests run the real dbt project on a scratch DuckDB file (each test module its own selection)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
