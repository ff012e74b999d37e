"""Shared fixtures: one real nightly run of the real pipeline on the default sample estate, in process.

`nightly` generates the estate (seed 7, scale 1) into a temporary `OPSREADY_DATA`, materializes every Dagster
asset of the nightly job in this process (ingest → dbt build → publish → report) and hands the result to the tests.
It runs once per session; tests that need their own estate make it themselves (small scale).
"""

from __future__ import annotations

import json
import os
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
class NightlyRun:
    root: Path
    manifest: dict
    result: object  # dagster ExecuteInProcessResult

    @property
    def published(self) -> Path:
        return self.root / "warehouse" / "opsready.duckdb"

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def site(self) -> Path:
        return self.root / "reports" / "site"


@pytest.fixture(scope="session")
def nightly(tmp_path_factory) -> NightlyRun:
    root = tmp_path_factory.mktemp("estate")
    point_at(root)
    manifest = generate(root, seed=7, scale=1.0)
    result = run_job(Settings.from_env())
    failures = [f"{e.step_key}: {e.step_failure_data.error.message[:3000]}" for e in result.all_events
                if e.is_step_failure]
    assert result.success, "nightly failed:\n" + "\n".join(failures)
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


def read_manifest(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_text())
