"""The Parquet lake that lets the dbt project run on Apache Spark (docs/scale-out.md): the night's raw tables
exported from the working DuckDB warehouse as Parquet partitioned by source, plant and extract date, the shape of
Spark's raw tables over them, and the marts Spark built copied back into the DuckDB warehouse, so analysts,
`opsready gate` and the report read the same file whichever engine built it.

Layout under the lake root (`Settings.lake_dir`, `OPSREADY_LAKE`):

- raw/<entity>/_source=<s>/plant_id=<p>/_extract_date=<d>/*.parquet   written here (entities without a plant: no plant level)
- audit/load_log/data.parquet                                          written here (the loads: the readiness date)
- marts/<mart>/*.parquet                                              written by Spark (dbt-spark's `location_root`)
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb

RAW_SCHEMA = "raw"
AUDIT_SCHEMA = "audit"
MARTS_SCHEMA = "marts"
# besides every raw table: what the models read from the audit schema (the readiness date is the latest extract loaded)
AUDIT_TABLES = ("load_log",)
PARTITION_COLUMNS = ("_source", "plant_id", "_extract_date")

# DuckDB column types and the Spark SQL types they are read as (DuckDB's naive timestamps are Spark's timestamp_ntz)
SPARK_TYPES = {"VARCHAR": "string", "BIGINT": "bigint", "INTEGER": "int", "SMALLINT": "smallint", "DOUBLE": "double",
               "FLOAT": "float", "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp_ntz",
               "HUGEINT": "decimal(38,0)", "UBIGINT": "decimal(20,0)", "UINTEGER": "bigint"}


def spark_type(duckdb_type: str) -> str:
    """The Spark SQL type a DuckDB column is read as; refuses a type the lake does not carry."""
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", duckdb_type)
    if decimal:
        return f"decimal({decimal[1]},{decimal[2]})"
    if duckdb_type not in SPARK_TYPES:
        raise ValueError(f"raw column type {duckdb_type} has no Spark type in opsready.lake.SPARK_TYPES")
    return SPARK_TYPES[duckdb_type]


def exported_columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Every table the lake carries, (schema, table), with its (column, DuckDB type) in table order: every raw table
    and `AUDIT_TABLES`."""
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? or (table_schema = ? and list_contains(?, table_name)) "
        "order by table_schema, table_name, ordinal_position", [RAW_SCHEMA, AUDIT_SCHEMA, list(AUDIT_TABLES)]).fetchall()
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in rows:
        tables.setdefault((schema, table), []).append((column, data_type))
    return tables


def partition_columns(columns: list[tuple[str, str]]) -> list[str]:
    names = {name for name, _ in columns}
    return [c for c in PARTITION_COLUMNS if c in names]


def export_raw(warehouse: Path, lake: Path) -> dict[str, int]:
    """Write every raw table of `warehouse` under `lake/raw/<entity>/`, partitioned by source, plant and extract
    date, and the audit tables the models read under `lake/audit/<table>/`, replacing the previous night's export
    (a whole table at a time, so a replaced extract leaves no stale file). Returns the rows written per table."""
    written = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for (schema, table), columns in exported_columns(con).items():
            target = lake / schema / table
            shutil.rmtree(target, ignore_errors=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            n = con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
            if n == 0:  # DuckDB writes no file for an empty table; Spark's table over an empty folder is empty
                target.mkdir()
            elif schema == RAW_SCHEMA and (partitions := partition_columns(columns)):
                con.execute(f"copy {schema}.\"{table}\" to '{target}' "
                            f"(format parquet, partition_by ({', '.join(partitions)}), overwrite)")
            else:
                target.mkdir()
                con.execute(f"copy {schema}.\"{table}\" to '{target / 'data.parquet'}' (format parquet)")
            written[f"{schema}.{table}"] = n
    return written


def spark_raw_tables(warehouse: Path, lake: Path) -> list[dict]:
    """Spark's tables over the export: schema, name, columns with their Spark types (partition columns last, as
    Spark keeps them), partition columns and location; `macros/spark_raw_tables.sql` creates them."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = exported_columns(con)
    specs = []
    for (schema, table), columns in tables.items():
        partitions = partition_columns(columns) if schema == RAW_SCHEMA else []
        ordered = [c for c in columns if c[0] not in partitions] + [c for p in partitions for c in columns if c[0] == p]
        specs.append({"schema": schema, "name": table, "columns": [[name, spark_type(t)] for name, t in ordered],
                      "partitioned_by": partitions, "location": str((lake / schema / table).resolve())})
    return specs


def copy_marts_back(lake: Path, warehouse: Path, marts: list[str]) -> dict[str, int]:
    """Replace each of `marts` in `warehouse`'s marts schema by the table Spark wrote under `lake/marts/<mart>/`
    (Parquet carries the types: Spark's string, int, bigint, double, date, boolean and timestamp_ntz read back as
    DuckDB's varchar, integer, bigint, double, date, boolean and timestamp). Returns the rows per mart."""
    copied = {}
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"create schema if not exists {MARTS_SCHEMA}")
        for mart in marts:
            files = str(lake / MARTS_SCHEMA / mart / "*.parquet")
            con.execute(f"create or replace table {MARTS_SCHEMA}.\"{mart}\" as select * from read_parquet('{files}')")
            copied[mart] = con.execute(f'select count(*) from {MARTS_SCHEMA}."{mart}"').fetchone()[0]
    return copied
