"""`make test-spark`: the dbt project on DuckDB and on Spark, from the same landing files, on a small sample estate.

`two_engines` starts Spark's Thrift server from the pyspark package once for the session (stopped at its end) and
runs the real nightly job (`warehouse_only`: ingest, dbt build and data tests, publish; the function `opsready run`
uses) twice on copies of one generated estate: with `OPSREADY_ENGINE=duckdb` and with `OPSREADY_ENGINE=spark`
(the Parquet lake, Spark's raw tables, `dbt build --target spark`, the marts copied back into DuckDB). It hands
both published warehouses and both dbt build times to the tests.
"""

from __future__ import annotations

import json
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
from orchestration.transform.project import DBT_PROJECT_DIR
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
    dbt_seconds: float  # dbt build's wall time (run_results.json's elapsed_time): models and data tests
    published: Path  # the published DuckDB warehouse the night wrote
    results: dict  # dbt's run_results.json of the night's build

    @property
    def lake(self) -> Path:
        return self.root / "lake"


@dataclass
class TwoEngines:
    duckdb: EngineRun
    spark: EngineRun


def nightly(root: Path, engine: str) -> EngineRun:
    """The real nightly (`warehouse_only`) on the estate under `root`, built by `engine`."""
    with pointed_at(root):
        result = run_job(Settings.from_env({**os.environ, "OPSREADY_ENGINE": engine,
                                                 "OPSREADY_LAKE": str(root / "lake")}), "warehouse_only")
    assert result.success, f"the nightly on {engine} failed:\n" + "\n".join(step_failure_lines(result))
    results = json.loads(max((DBT_PROJECT_DIR / "target").glob(f"{DBT_STEP}-*/run_results.json"),
                             key=lambda p: p.stat().st_mtime).read_text())
    assert (results["args"].get("target") == "spark") == (engine == "spark"), "not this night's dbt build"
    return EngineRun(root=root, dbt_seconds=results["elapsed_time"], published=root / "warehouse" / "opsready.duckdb",
                     results=results)


@pytest.fixture(scope="session")
def two_engines(tmp_path_factory) -> TwoEngines:
    estate = tmp_path_factory.mktemp("estate")
    generate(estate, seed=7, scale=SAMPLE_SCALE)
    duck_root, spark_root = (tmp_path_factory.getbasetemp() / f"estate-{e}" for e in ("duckdb", "spark"))
    shutil.copytree(estate, duck_root)
    shutil.copytree(estate, spark_root)
    server_state = tmp_path_factory.mktemp("spark-server")
    port = int(os.environ.get("OPSREADY_SPARK_PORT", thrift_server.DEFAULT_PORT))
    started = time.monotonic()
    thrift_server.launch(server_state, port)  # the JVM starts while the DuckDB night runs
    try:
        duck = nightly(duck_root, "duckdb")
        thrift_server.wait_until_listening(server_state, port)
        print(f"Spark Thrift server listening on {port} after {time.monotonic() - started:.0f} s")
        spark = nightly(spark_root, "spark")
        print(f"dbt build on the sample (scale {SAMPLE_SCALE}): DuckDB {duck.dbt_seconds:.0f} s "
              f"({len(duck.results['results'])} nodes), Spark {spark.dbt_seconds:.0f} s "
              f"({len(spark.results['results'])} nodes)")
        yield TwoEngines(duckdb=duck, spark=spark)
    finally:
        thrift_server.stop(server_state)
