"""The dbt project on Spark gives the marts it gives on DuckDB: the nightly with `OPSREADY_ENGINE=spark` builds every
model and passes every data test on Spark, and every mart of its published DuckDB warehouse holds the same rows as
the DuckDB nightly's (counts, keys and text exactly; floating-point values within 1e-9 relative); Spark passes every
unit test of the project."""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from opsready import gates
from orchestration.transform.project import DBT_PROJECT_DIR, dbt_executable

RELATIVE_TOLERANCE = 1e-9
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


def mart_names(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [r[0] for r in con.execute("select table_name from information_schema.tables "
                                          "where table_schema = 'marts' order by table_name").fetchall()]


def mart_rows(warehouse: Path, mart: str) -> tuple[list[tuple[str, str]], list[tuple]]:
    """The mart's (column, type) and its rows, sorted by the exact columns first and the rounded floats after."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = [(r[0], r[1]) for r in con.execute(
            "select column_name, data_type from information_schema.columns where table_schema = 'marts' "
            "and table_name = ? order by ordinal_position", [mart]).fetchall()]
        rows = con.execute(f'select * from marts."{mart}"').fetchall()
    is_float = [t in FLOAT_TYPES for _, t in columns]

    def sort_key(row):
        exact = tuple((v is None, str(v)) for v, f in zip(row, is_float) if not f)
        approx = tuple((v is None, round(v, 6) if v is not None else 0) for v, f in zip(row, is_float) if f)
        return exact + approx
    return columns, sorted(rows, key=sort_key)


def values_equal(a, b, is_float: bool) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if is_float:
        return math.isclose(float(a), float(b), rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)
    return a == b


def differences(duck: Path, spark: Path, mart: str) -> list[str]:
    duck_columns, duck_rows = mart_rows(duck, mart)
    spark_columns, spark_rows = mart_rows(spark, mart)
    names = [c for c, _ in duck_columns]
    if [c for c, _ in spark_columns] != names:
        return [f"columns: DuckDB {names}, Spark {[c for c, _ in spark_columns]}"]
    if len(duck_rows) != len(spark_rows):
        return [f"rows: DuckDB {len(duck_rows)}, Spark {len(spark_rows)}"]
    is_float = [t in FLOAT_TYPES for _, t in duck_columns]
    found = []
    for i, (d, s) in enumerate(zip(duck_rows, spark_rows)):
        for name, a, b, f in zip(names, d, s, is_float):
            if not values_equal(a, b, f):
                found.append(f"row {i} column {name}: DuckDB {a!r}, Spark {b!r}")
        if len(found) >= 5:
            break
    return found


def test_every_mart_is_equal(two_engines):
    duck_marts = mart_names(two_engines.duckdb.published)
    assert len(duck_marts) >= 20  # the project's marts, not an empty build
    assert mart_names(two_engines.spark.published) == duck_marts
    unequal = {m: d for m in duck_marts if (d := differences(two_engines.duckdb.published,
                                                             two_engines.spark.published, m))}
    print(f"{len(duck_marts) - len(unequal)} of {len(duck_marts)} marts equal on DuckDB and Spark")
    assert not unequal, json.dumps(unequal, indent=1)


def test_spark_built_every_model_and_passed_every_data_test(two_engines):
    """Each night's dbt build (dagster-dbt's run folder) holds every model and data test of the project, none an
    error or failure, and each data test ends as on DuckDB (the sample's equipment without a known work center
    warns on both: a warn-severity test)."""
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    every = {uid for uid, n in manifest["nodes"].items() if n["resource_type"] in ("model", "test")}
    status = {}
    for engine in ("duckdb", "spark"):
        # dbt build also lists the report's exposures (no-op nodes): only models and data tests are compared
        status[engine] = {r["unique_id"]: r["status"] for r in getattr(two_engines, engine).results["results"]
                          if r["unique_id"].split(".")[0] in ("model", "test")}
        assert set(status[engine]) == every, f"{engine}: {sorted(set(status[engine]) ^ every)[:10]}"
        assert not {u: s for u, s in status[engine].items() if s in ("error", "fail", "skipped")}, engine
    assert status["spark"] == status["duckdb"]
    models = sum(uid.startswith("model.") for uid in every)
    print(f"Spark built {models} models and ran {len(every) - models} data tests, each ending as on DuckDB")


def test_marts_hold_rows(two_engines):
    """A comparison of empty marts proves nothing: the marts the report's headline reads have rows on Spark."""
    with duckdb.connect(str(two_engines.spark.published), read_only=True) as con:
        for mart in ("pilot_to_scale", "plant_mdq", "benefit_realisation", "oee_rollup", "downtime_by_reason_monthly",
                     "readiness_criteria", "plant_readiness", "readiness_timeline", "gate_gap"):
            assert con.execute(f"select count(*) from marts.{mart}").fetchone()[0] > 0, mart


def test_comparison_sees_a_changed_value(two_engines, tmp_path):
    """The comparison fails when one value differs beyond the tolerance (a copy of the Spark warehouse with one
    ratio moved by 1e-6 relative), so its passing above means something."""
    changed = tmp_path / "changed.duckdb"
    changed.write_bytes(two_engines.spark.published.read_bytes())
    with duckdb.connect(str(changed)) as con:
        con.execute("update marts.pilot_to_scale set pilot_to_scale_rate = pilot_to_scale_rate * (1 + 1e-6) "
                    "where pilot_to_scale_rate > 0")
    assert differences(two_engines.duckdb.published, changed, "pilot_to_scale")
    assert not differences(two_engines.duckdb.published, two_engines.spark.published, "pilot_to_scale")


def test_unit_tests_pass_on_spark(two_engines):
    """Every unit test of the project (fixed inputs, expected rows), on Spark."""
    env = {**os.environ, "OPSREADY_LAKE": str(two_engines.spark.lake), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        [dbt_executable(), "test", "--target", "spark", "--select", "test_type:unit",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
         str(DBT_PROJECT_DIR), "--vars", json.dumps(gates.dbt_vars()),
         "--target-path", str(two_engines.spark.root / "unit-target")],
        env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-6000:]
    assert "PASS=" in result.stdout and " ERROR=0" in result.stdout, result.stdout[-3000:]


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_build_times_reported(two_engines, engine):
    seconds = getattr(two_engines, engine).dbt_seconds
    print(f"{engine}: dbt step {seconds:.0f} s")
    assert seconds > 0
