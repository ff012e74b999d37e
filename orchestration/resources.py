"""Resources shared by every domain: the working-copy DuckDB file and the dbt CLI."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from opsready import paths


def warehouse_resource() -> DuckDBResource:
    """DuckDB on the working copy this run builds into: `OPSREADY_WAREHOUSE`, the variable dbt's profile reads too,
    resolved when a run starts (`opsready.paths.export_warehouse_env` derives it from `OPSREADY_DATA`)."""
    paths.export_warehouse_env()
    return DuckDBResource(database=dg.EnvVar("OPSREADY_WAREHOUSE"),
                          connection_config={"memory_limit": paths.duckdb_memory_limit()})
