"""`make test-spark`: the dbt project on DuckDB and on Spark, from the same raw data, on a small sample estate.

`spark_server` starts Spark's Thrift server from the pyspark package for the session and stops it at the end.
`two_engines` runs the real nightly (`warehouse_only`: ingest, dbt build and tests, publish) on DuckDB, then the
Spark engine's steps on that night's raw tables (opsready.lake: the Parquet export, Spark's raw tables, `dbt build
--target spark`, the marts copied back into a DuckDB file), and hands both warehouses and both dbt build times to
the tests. The models in `SPARK_NOT_YET` (and what depends on them) are left out on Spark: their SQL is not
portable yet (docs/scale-out.md); the tests name them, so the list can only shrink.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from opsready import gates, lake
from opsready.paths import Settings
from opsready.sample import generate
from orchestration.runtime import run_job, step_failure_lines
from orchestration.transform.assets import DBT_STEP
from orchestration.transform.project import DBT_PROJECT_DIR, dbt_executable
from tests.conftest import pointed_at
from tests_spark import thrift_server

SAMPLE_SCALE = 0.05  # 12 plants, four years; ~680 k landing rows
# correlated references inside LATERAL joins (in join conditions, and two levels up) that Spark's analyser rejects
SPARK_NOT_YET = ("int_readiness_metric_values",)
TELEMETRY_OFF = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DAGSTER_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1",
                 "GX_ANALYTICS_ENABLED": "false"}
for _key, _value in TELEMETRY_OFF.items():
    os.environ.setdefault(_key, _value)


@dataclass
class EngineRun:
    root: Path
    dbt_seconds: float  # dbt build's wall time (run_results.json's elapsed_time): models and data tests
    published: Path  # the DuckDB file holding the marts
    results: dict  # dbt's run_results.json of the build


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


def nightly_on_duckdb(root: Path) -> EngineRun:
    with pointed_at(root):
        result = run_job(Settings.from_env(), "warehouse_only")
    assert result.success, "the nightly on DuckDB failed:\n" + "\n".join(step_failure_lines(result))
    results = json.loads(max((DBT_PROJECT_DIR / "target").glob(f"{DBT_STEP}-*/run_results.json"),
                             key=lambda p: p.stat().st_mtime).read_text())
    return EngineRun(root=root, dbt_seconds=results["elapsed_time"], published=root / "warehouse" / "opsready.duckdb",
                     results=results)


def dbt_on_spark(lake_dir: Path, target_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPSREADY_LAKE": str(lake_dir), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return subprocess.run([dbt_executable(), *args, "--target", "spark", "--project-dir", str(DBT_PROJECT_DIR),
                           "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target_dir)],
                          env=env, capture_output=True, text=True)


def build_on_spark(raw_warehouse: Path, root: Path) -> EngineRun:
    """What the nightly's dbt step does with OPSREADY_ENGINE=spark (orchestration/transform/assets.py), on the
    DuckDB night's raw tables, less the models not portable yet."""
    lake_dir, target = root / "lake", root / "target"
    lake.export_raw(raw_warehouse, lake_dir)
    tables = json.dumps({"tables": lake.spark_raw_tables(raw_warehouse, lake_dir)})
    done = dbt_on_spark(lake_dir, target, "run-operation", "spark_raw_tables", "--args", tables)
    assert done.returncode == 0, done.stdout[-4000:]
    done = dbt_on_spark(lake_dir, target, "build", "--exclude-resource-type", "unit_test", "--vars",
                        json.dumps(gates.dbt_vars()), "--exclude", *[f"{m}+" for m in SPARK_NOT_YET])
    results = json.loads((target / "run_results.json").read_text())
    failed = [r["unique_id"] for r in results["results"] if r["status"] in ("error", "fail")]
    assert done.returncode == 0 and not failed, f"dbt build on Spark failed: {failed}\n{done.stdout[-6000:]}"
    manifest = json.loads((target / "manifest.json").read_text())
    built = {r["unique_id"] for r in results["results"]}
    marts = sorted(n["name"] for uid, n in manifest["nodes"].items()
                   if uid in built and n["resource_type"] == "model" and n["config"].get("schema") == "marts")
    published = root / "spark-marts.duckdb"
    lake.copy_marts_back(lake_dir, published, marts)
    return EngineRun(root=root, dbt_seconds=results["elapsed_time"], published=published, results=results)


@pytest.fixture(scope="session")
def two_engines(tmp_path_factory, spark_server) -> TwoEngines:
    duck_root = tmp_path_factory.mktemp("estate-duckdb")
    generate(duck_root, seed=7, scale=SAMPLE_SCALE)
    duck = nightly_on_duckdb(duck_root)
    spark = build_on_spark(duck.published, tmp_path_factory.mktemp("estate-spark"))
    print(f"dbt build on the sample (scale {SAMPLE_SCALE}): DuckDB {duck.dbt_seconds:.0f} s "
          f"({len(duck.results['results'])} nodes), Spark {spark.dbt_seconds:.0f} s "
          f"({len(spark.results['results'])} nodes)")
    return TwoEngines(duckdb=duck, spark=spark)
