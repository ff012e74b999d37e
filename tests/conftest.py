"""Shared fixtures: two real nightlies, each run once per session and read by many tests.

`nightly` generates the default sample estate (seed 7, scale 1) into a temporary `OPSREADY_DATA`, materializes every
Dagster asset of the nightly job in this process (ingest → dbt build → publish → report) and hands the result to the
tests. `small_nightly` is the same estate at scale 0.05 after one real `opsready run --no-report` (the command, in a
subprocess, so its console is tested too): the first night of every end-to-end test that goes on to change landing
files, profiles or the warehouse, each on its own copy (`SmallNight.copy_to`), so no test sees another's changes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from opsready.paths import Settings
from opsready.sample import generate
from orchestration.runtime import run_job
from tests.two_nights import two_nights  # noqa: F401  (a session fixture shared by two test files)

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

REPO = Path(__file__).resolve().parent.parent
TEST_OUTPUT = REPO / "test-output"
OPSREADY = str(Path(sys.executable).with_name("opsready"))
SMALL_SCALE = 0.05


def point_at(root: Path) -> None:
    """Make every part of opsready (paths, Dagster resources, dbt profile) use this data root."""
    os.environ["OPSREADY_DATA"] = str(root)
    os.environ["OPSREADY_WAREHOUSE"] = str(root / "warehouse" / "build" / "opsready.duckdb")
    os.environ["DAGSTER_HOME"] = str(root / "dagster")


@contextmanager
def pointed_at(root: Path):
    """`point_at(root)` for the block only: the variables it sets are restored (or removed) afterwards."""
    saved = {k: os.environ.get(k) for k in ("OPSREADY_DATA", "OPSREADY_WAREHOUSE", "DAGSTER_HOME")}
    point_at(root)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class DataRoot:
    """An OPSREADY_DATA folder after a published night."""

    root: Path

    @property
    def published(self) -> Path:
        return self.root / "warehouse" / "opsready.duckdb"

    @property
    def landing(self) -> Path:
        return self.root / "landing"


@dataclass
class NightlyRun(DataRoot):
    manifest: dict
    result: object  # dagster ExecuteInProcessResult

    @property
    def site(self) -> Path:
        return self.root / "reports" / "site"

    @property
    def dbt_log(self) -> Path:
        """The night's dbt.log (dagster-dbt's run folder keeps it only until later nights prune it)."""
        return self.root / "dbt.log"


@pytest.fixture(scope="session")
def nightly(tmp_path_factory) -> NightlyRun:
    root = tmp_path_factory.mktemp("estate")
    point_at(root)
    manifest = generate(root, seed=7, scale=1.0)
    result = run_job(Settings.from_env())
    failures = [f"{e.step_key}: {e.step_failure_data.error.message[:3000]}" for e in result.all_events
                if e.is_step_failure]
    assert result.success, "nightly failed:\n" + "\n".join(failures)
    # keep the night's dbt log: later nights in the session prune older dbt run folders (KEEP_RUN_TARGETS)
    folders = list((REPO / "dbt_project" / "target").glob(f"opsready_dbt_models-{result.run_id[:7]}-*"))
    assert len(folders) == 1, folders
    shutil.copyfile(folders[0] / "dbt.log", root / "dbt.log")
    return NightlyRun(root=root, manifest=manifest, result=result)


@pytest.fixture(scope="session")
def published_warehouse(nightly) -> Path:
    """The published DuckDB file after a full real nightly run (for report and metric tests)."""
    return nightly.published


@pytest.fixture(scope="session")
def warehouse(published_warehouse):
    """A read-only connection to the published warehouse."""
    import duckdb

    con = duckdb.connect(str(published_warehouse), read_only=True)
    yield con
    con.close()


def dbt_nodes(run_id: str) -> dict[str, list[str]]:
    """The names of the data tests ("test") and models ("model") a nightly's dbt build ran, from dagster-dbt's run
    folder (named after the Dagster run id)."""
    folders = list((REPO / "dbt_project" / "target").glob(f"opsready_dbt_models-{run_id[:7]}-*"))
    assert len(folders) == 1, folders
    results = json.loads((folders[0] / "run_results.json").read_text())["results"]
    return {kind: sorted(r["unique_id"].split(".")[2] for r in results if r["unique_id"].startswith(f"{kind}."))
            for kind in ("test", "model")}


def cli_env(root: Path) -> dict:
    """The environment of an `opsready` subprocess on the data root `root`, every other setting at its default."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPSREADY_WAREHOUSE", "DAGSTER_HOME", "OPSREADY_PROFILES")}
    return {**env, "OPSREADY_DATA": str(root)}


@dataclass
class SmallNight(DataRoot):
    """The small estate after its first published night. Tests read it; a test that changes anything copies it."""

    console: subprocess.CompletedProcess  # what `opsready run --no-report` printed
    run_id: str
    dbt: dict[str, list[str]]  # `dbt_nodes` of its run

    def copy_to(self, root: Path) -> Path:
        """A data root of its own at `root` (created) holding this night as published: the landing files (their
        modification times kept, so the next night skips them unread, as it would here), the published warehouse
        and Dagster's run storage (not the run's log file)."""
        root.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.landing, root / "landing")
        (root / "warehouse").mkdir()
        shutil.copy2(self.published, root / "warehouse" / "opsready.duckdb")
        shutil.copytree(self.root / "dagster", root / "dagster")
        shutil.copy2(self.root / "manifest.json", root / "manifest.json")
        return root


@pytest.fixture(scope="session")
def small_nightly(tmp_path_factory) -> SmallNight:
    root = tmp_path_factory.mktemp("small-estate")
    generate(root, seed=7, scale=SMALL_SCALE)
    done = subprocess.run([OPSREADY, "run", "--no-report"], env=cli_env(root), capture_output=True, text=True,
                          timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run_id = re.search(r"nightly run (\S+) succeeded", done.stdout).group(1)
    return SmallNight(root=root, console=done, run_id=run_id, dbt=dbt_nodes(run_id))


def read_manifest(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_text())
