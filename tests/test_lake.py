"""opsready.lake: the raw export the Spark engine reads (Parquet partitioned by source, plant and extract date), the
Spark tables declared over it, and the marts copied back into DuckDB. On a small warehouse made here by hand."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from opsready import lake
from opsready.paths import SettingError, Settings
from orchestration.resources import SettingsResource


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create schema audit")
        con.execute("create table raw.plants (plant_id varchar, timezone varchar, _source varchar, "
                    "_extract_date date, _row bigint)")
        con.execute("insert into raw.plants values ('P1', 'UTC', 'erp-a', '2024-03-31', 1), "
                    "('P2', 'Europe/Berlin', 'erp-a', '2024-03-31', 2), ('P1', 'UTC', 'erp-a', '2024-06-30', 1), "
                    "('P9', null, 'erp-b', '2024-06-30', 1)")
        con.execute("create table raw.initiatives (initiative_id varchar, wave integer, cost decimal(12,2), "
                    "changed_at timestamp, _source varchar, _extract_date date)")
        con.execute("insert into raw.initiatives values ('I1', 2, 10.50, '2024-01-02 03:04:05', 'pilots', "
                    "'2024-03-31')")
        con.execute("create table raw.empty_entity (plant_id varchar, _source varchar, _extract_date date)")
        con.execute("create table audit.load_log (load_id varchar, extract_date date, rows_loaded bigint)")
        con.execute("insert into audit.load_log values ('L1', '2024-03-31', 3), ('L2', '2024-06-30', 2)")
        con.execute("create table audit.quarantine (load_id varchar)")  # not read by the models: not exported
    return path


def test_export_writes_every_row_partitioned_by_source_plant_and_extract_date(warehouse, tmp_path):
    out = tmp_path / "lake"
    written = lake.export_raw(warehouse, out)
    assert written == {"raw.plants": 4, "raw.initiatives": 1, "raw.empty_entity": 0, "audit.load_log": 2}
    folders = sorted(p.relative_to(out / "raw" / "plants").as_posix()
                     for p in (out / "raw" / "plants").glob("*/*/*") if p.is_dir())
    assert folders == ["_source=erp-a/plant_id=P1/_extract_date=2024-03-31",
                       "_source=erp-a/plant_id=P1/_extract_date=2024-06-30",
                       "_source=erp-a/plant_id=P2/_extract_date=2024-03-31",
                       "_source=erp-b/plant_id=P9/_extract_date=2024-06-30"]
    # no plant column: source and extract date only
    assert [p.name for p in (out / "raw" / "initiatives").glob("*/*")] == ["_extract_date=2024-03-31"]
    assert (out / "raw" / "empty_entity").is_dir() and not any((out / "raw" / "empty_entity").iterdir())
    with duckdb.connect() as con:
        back = con.execute(f"select plant_id, timezone, _source, cast(_extract_date as date), _row from read_parquet("
                           f"'{out}/raw/plants/**/*.parquet', hive_partitioning = true) order by all").fetchall()
        assert back == [("P1", "UTC", "erp-a", date(2024, 3, 31), 1), ("P1", "UTC", "erp-a", date(2024, 6, 30), 1),
                        ("P2", "Europe/Berlin", "erp-a", date(2024, 3, 31), 2), ("P9", None, "erp-b", date(2024, 6, 30), 1)]
        assert con.execute(f"select * from '{out}/audit/load_log/data.parquet' order by 1").fetchall() == [
            ("L1", date(2024, 3, 31), 3), ("L2", date(2024, 6, 30), 2)]


def test_a_second_export_replaces_the_first(warehouse, tmp_path):
    out = tmp_path / "lake"
    lake.export_raw(warehouse, out)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from raw.plants where _extract_date = '2024-03-31'")
    lake.export_raw(warehouse, out)
    assert not list((out / "raw" / "plants").glob("*/*/_extract_date=2024-03-31"))
    with duckdb.connect() as con:
        assert con.execute(f"select count(*) from '{out}/raw/plants/**/*.parquet'").fetchone()[0] == 2


def test_spark_tables_carry_the_duckdb_types_with_partition_columns_last(warehouse, tmp_path):
    specs = {(s["schema"], s["name"]): s for s in lake.spark_raw_tables(warehouse, tmp_path / "lake")}
    assert set(specs) == {("raw", "plants"), ("raw", "initiatives"), ("raw", "empty_entity"), ("audit", "load_log")}
    assert specs["raw", "plants"]["columns"] == [["timezone", "string"], ["_row", "bigint"], ["_source", "string"],
                                                 ["plant_id", "string"], ["_extract_date", "date"]]
    assert specs["raw", "plants"]["partitioned_by"] == ["_source", "plant_id", "_extract_date"]
    assert specs["raw", "initiatives"]["columns"][:3] == [["initiative_id", "string"], ["wave", "int"],
                                                          ["cost", "decimal(12,2)"]]
    assert ["changed_at", "timestamp_ntz"] in specs["raw", "initiatives"]["columns"]
    assert specs["audit", "load_log"]["partitioned_by"] == []
    assert specs["audit", "load_log"]["location"] == str((tmp_path / "lake" / "audit" / "load_log").resolve())


def test_a_type_without_a_spark_type_is_refused():
    with pytest.raises(ValueError, match="INTERVAL"):
        lake.spark_type("INTERVAL")


def test_marts_copied_back_replace_the_duckdb_tables(tmp_path):
    marts_dir = tmp_path / "lake" / "marts" / "plant_roi"
    marts_dir.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(f"copy (select 'P1' as plant_id, 0.25 :: double as roi, timestamp '2024-01-01' as at) "
                    f"to '{marts_dir}/part-0.parquet' (format parquet)")
    target = tmp_path / "w.duckdb"
    with duckdb.connect(str(target)) as con:
        con.execute("create schema marts; create table marts.plant_roi as select 'old' as plant_id")
    assert lake.copy_marts_back(tmp_path / "lake", target, ["plant_roi"]) == {"plant_roi": 1}
    with duckdb.connect(str(target)) as con:
        assert con.execute("select * from marts.plant_roi").fetchall() == [("P1", 0.25, datetime(2024, 1, 1))]


def test_the_engine_setting(tmp_path):
    assert Settings.from_env({"OPSREADY_DATA": str(tmp_path)}).engine == "duckdb"
    spark = Settings.from_env({"OPSREADY_DATA": str(tmp_path), "OPSREADY_ENGINE": "spark"})
    assert (spark.engine, spark.lake_dir) == ("spark", tmp_path.resolve() / "lake")
    assert spark.child_env()["OPSREADY_LAKE"] == str(tmp_path.resolve() / "lake")
    elsewhere = Settings.from_env({"OPSREADY_DATA": str(tmp_path), "OPSREADY_LAKE": str(tmp_path / "s3-mount")})
    assert elsewhere.lake_dir == (tmp_path / "s3-mount").resolve()
    with pytest.raises(SettingError, match="OPSREADY_ENGINE='trino' is not one of duckdb, spark"):
        Settings.from_env({"OPSREADY_ENGINE": "trino"})


def test_the_nightly_assets_see_the_engine_and_the_lake(tmp_path):
    """Dagster's settings resource carries OPSREADY_ENGINE and OPSREADY_LAKE to the assets (without them the dbt step
    built on DuckDB whatever the setting said)."""
    settings = Settings.from_env({"OPSREADY_DATA": str(tmp_path), "OPSREADY_ENGINE": "spark",
                                  "OPSREADY_LAKE": str(tmp_path / "elsewhere")})
    seen = SettingsResource.of(settings).get()
    assert (seen.engine, seen.lake_dir) == ("spark", (tmp_path / "elsewhere").resolve())
    assert SettingsResource.of(Settings.from_env({"OPSREADY_DATA": str(tmp_path)})).get().engine == "duckdb"
