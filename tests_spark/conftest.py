"""`make test-spark`: the same nightly on DuckDB and on Spark, from the same landing files, on a small sample estate.

`spark_server` starts Spark's Thrift server from the pyspark package for the session and stops it at the end;
`two_engines` runs the real nightly (`warehouse_only`: ingest, dbt build and tests, publish) once with
`OPSREADY_ENGINE=duckdb` and once with `OPSREADY_ENGINE=spark`, each on a data root of its own, and hands both
published warehouses and the dbt step's wall time of each to the tests.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from opsready.paths import Settings
from opsready.sample import generate
from orchestration.runtime import run_job, step_failure_lines
from orchestration.transform.assets import DBT_STEP
from tests.conftest import pointed_at
from tests_spark import thrift_server

SAMPLE_SCALE = 0.05  # 12 plants, four years; ~680 k landing rows
TELEMETRY_OFF = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DAGSTER_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1",
                 "GX_ANALYTICS_ENABLED": "false"}
for _key, _value in TELEMETRY_OFF.items():
    os.environ.setdefault(_key, _value)


@dataclass
class EngineRun:
    root: Path
    dbt_seconds: float  # the dbt step's wall time (on Spark: with the raw export and the marts' copy back)

    @property
    def published(self) -> Path:
        return self.root / "warehouse" / "opsready.duckdb"


@dataclass
class TwoEngines:
    duckdb: EngineRun
    spark: EngineRun


@pytest.fixture(scope="session")
def spark_server(tmp_path_factory):
    state = tmp_path_factory.mktemp("spark-server")
    port = int(os.environ.get("OPSREADY_SPARK_PORT", thrift_server.DEFAULT_PORT))
    started = time.monotonic()
    thrift_server.start(state, port)
    print(f"Spark Thrift server listening on {port} after {time.monotonic() - started:.0f} s")
    try:
        yield state
    finally:
        thrift_server.stop(state)


def step_seconds(result, step_key: str) -> float:
    times = {e.event_type_value: e.timestamp for e in result.all_events if e.step_key == step_key
             and e.event_type_value in ("STEP_START", "STEP_SUCCESS")}
    return times["STEP_SUCCESS"] - times["STEP_START"]


def nightly_on(root: Path, engine: str) -> EngineRun:
    with pointed_at(root):
        os.environ["OPSREADY_ENGINE"] = engine
        try:
            result = run_job(Settings.from_env(), "warehouse_only")
        finally:
            os.environ.pop("OPSREADY_ENGINE", None)
    assert result.success, f"the nightly on {engine} failed:\n" + "\n".join(step_failure_lines(result))
    return EngineRun(root=root, dbt_seconds=step_seconds(result, DBT_STEP))


@pytest.fixture(scope="session")
def two_engines(tmp_path_factory, spark_server) -> TwoEngines:
    duck_root = tmp_path_factory.mktemp("estate-duckdb")
    generate(duck_root, seed=7, scale=SAMPLE_SCALE)
    spark_root = tmp_path_factory.mktemp("estate-spark")
    shutil.copytree(duck_root / "landing", spark_root / "landing")
    runs = TwoEngines(duckdb=nightly_on(duck_root, "duckdb"), spark=nightly_on(spark_root, "spark"))
    print(f"dbt build on the sample (scale {SAMPLE_SCALE}): DuckDB {runs.duckdb.dbt_seconds:.0f} s, "
          f"Spark {runs.spark.dbt_seconds:.0f} s")
    return runs
