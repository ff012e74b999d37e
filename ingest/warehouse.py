"""DDL for the tables ingest owns: `raw.<entity>` (canonical + lineage) and the `audit` tables."""

from __future__ import annotations

import duckdb

from ingest.domains import write_domain_values
from ingest.entities import ENTITIES, LINEAGE_COLUMNS

SCHEMAS = ("raw", "staging", "intermediate", "marts", "audit")

AUDIT_TABLES = {
    "load_log": """
        load_id VARCHAR PRIMARY KEY, run_id VARCHAR, source VARCHAR, profile VARCHAR, entity VARCHAR,
        extract_date DATE, file VARCHAR, sha256 VARCHAR, rows_read BIGINT, rows_loaded BIGINT,
        rows_quarantined BIGINT, status VARCHAR, message VARCHAR, loaded_at TIMESTAMP, file_bytes BIGINT,
        file_modified_ns BIGINT, reason VARCHAR, profile_sha256 VARCHAR, contract_sha256 VARCHAR""",
    "quarantine": """
        load_id VARCHAR, source VARCHAR, entity VARCHAR, file VARCHAR, "row" BIGINT, "column" VARCHAR,
        raw_value VARCHAR, reason VARCHAR""",
    "expectation_results": """
        load_id VARCHAR, entity VARCHAR, expectation VARCHAR, severity VARCHAR, success BOOLEAN, observed VARCHAR,
        details VARCHAR""",
}


def audit_columns(table: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of each column of an audit table, in DDL order."""
    return [tuple(column.split()[:2]) for column in AUDIT_TABLES[table].split(",")]


def raw_table_ddl(entity_name: str) -> str:
    e = ENTITIES[entity_name]
    cols = [f'"{c.name}" {c.type}' for c in e.columns] + [f'"{k}" {t}' for k, t in LINEAGE_COLUMNS.items()]
    return f"CREATE TABLE IF NOT EXISTS raw.{e.name} ({', '.join(cols)})"


def ensure_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Create every schema, every raw table and the audit tables if missing (idempotent); write the domain values
    of config/domains.yaml into `raw.domain_values`."""
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for name in ENTITIES:
        con.execute(raw_table_ddl(name))
    write_domain_values(con)
    for name, cols in AUDIT_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS audit.{name} ({cols})")
    # a warehouse published before a column was added to an audit table gains it in place (null in old rows)
    present = set(con.execute("SELECT table_name, column_name FROM information_schema.columns "
                              "WHERE table_schema = 'audit'").fetchall())
    for name in AUDIT_TABLES:
        for column, type_ in audit_columns(name):
            if (name, column.strip('"')) not in present:
                con.execute(f"ALTER TABLE audit.{name} ADD COLUMN {column} {type_}")
