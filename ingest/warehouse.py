"""DDL for the tables ingest owns: `raw.<entity>` (canonical + lineage) and the `audit` tables."""

from __future__ import annotations

import duckdb

from ingest.entities import ENTITIES, LINEAGE_COLUMNS

SCHEMAS = ("raw", "staging", "intermediate", "marts", "audit")

AUDIT_TABLES = {
    "load_log": """
        load_id VARCHAR PRIMARY KEY, run_id VARCHAR, source VARCHAR, profile VARCHAR, entity VARCHAR,
        extract_date DATE, file VARCHAR, sha256 VARCHAR, rows_read BIGINT, rows_loaded BIGINT,
        rows_quarantined BIGINT, status VARCHAR, message VARCHAR, loaded_at TIMESTAMP, file_bytes BIGINT,
        file_modified_ns BIGINT""",
    "quarantine": """
        load_id VARCHAR, source VARCHAR, entity VARCHAR, file VARCHAR, "row" BIGINT, "column" VARCHAR,
        raw_value VARCHAR, reason VARCHAR""",
    "expectation_results": """
        load_id VARCHAR, entity VARCHAR, expectation VARCHAR, severity VARCHAR, success BOOLEAN, observed VARCHAR,
        details VARCHAR""",
}

# Columns added to an audit table after warehouses were first published with it: added in place when missing.
ADDED_COLUMNS = {"load_log": [("file_bytes", "BIGINT"), ("file_modified_ns", "BIGINT")]}


def raw_table_ddl(entity_name: str) -> str:
    e = ENTITIES[entity_name]
    cols = [f'"{c.name}" {c.type}' for c in e.columns] + [f'"{k}" {t}' for k, t in LINEAGE_COLUMNS.items()]
    return f"CREATE TABLE IF NOT EXISTS raw.{e.name} ({', '.join(cols)})"


def ensure_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Create every schema, every raw table and the audit tables if missing (idempotent)."""
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for name in ENTITIES:
        con.execute(raw_table_ddl(name))
    for name, cols in AUDIT_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS audit.{name} ({cols})")
    for column, type_ in ADDED_COLUMNS["load_log"]:  # warehouses built before these columns existed
        con.execute(f"ALTER TABLE audit.load_log ADD COLUMN IF NOT EXISTS {column} {type_}")
