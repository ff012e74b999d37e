"""Resources shared by every domain: the working-copy DuckDB file and the dbt CLI."""

from __future__ import annotations

from dagster_duckdb import DuckDBResource

from opsready import paths


def warehouse_resource() -> DuckDBResource:
    """DuckDB on the working copy this run builds into (`OPSREADY_WAREHOUSE`, derived from `OPSREADY_DATA`)."""
    return DuckDBResource(database=str(paths.export_warehouse_env()))
