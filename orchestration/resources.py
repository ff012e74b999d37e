"""Resources shared by every domain: the working-copy DuckDB file, the dbt CLI and Great Expectations' process."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from ingest import gx_process
from opsready import paths


def warehouse_resource() -> DuckDBResource:
    """DuckDB on the working copy this run builds into: `OPSREADY_WAREHOUSE`, the variable dbt's profile reads too,
    resolved when a run starts (`opsready.paths.export_warehouse_env` derives it from `OPSREADY_DATA`)."""
    paths.export_warehouse_env()
    return DuckDBResource(database=dg.EnvVar("OPSREADY_WAREHOUSE"),
                          connection_config={"memory_limit": paths.duckdb_memory_limit()})


class GreatExpectationsResource(dg.ConfigurableResource):
    """Validates landing frames with their GX suites in a process of its own (ingest/gx_process.py), started when
    the run's resources start, so GX's ~4 s import runs on the second core during the first steps instead of in
    the landing step, and validating a batch does not hold this process's interpreter lock while it writes."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        gx_process.start()

    def validate_frames(self, entity: str, frames: list) -> list[list]:
        return gx_process.validate_frames(entity, frames)
