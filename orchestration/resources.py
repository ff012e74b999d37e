"""Resources shared by every domain: the process's settings, what this run evaluates, the working-copy DuckDB file
and Great Expectations' process."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import field_validator, model_validator

from ingest import gx_process
from opsready.paths import Settings


class SettingsResource(dg.ConfigurableResource):
    """The `Settings` the process started with (opsready.paths), as Dagster config: every asset and the sensor read
    their paths here, and a run's config shows which data root it ran on."""

    data_root: str
    working_warehouse: str
    dagster_home: str
    duckdb_memory_limit: str
    engine: str = "duckdb"  # what builds the dbt project (OPSREADY_ENGINE)
    lake: str = ""  # the Spark engine's Parquet lake (Settings.lake_dir)

    @classmethod
    def of(cls, settings: Settings) -> SettingsResource:
        return cls(data_root=str(settings.data_root), working_warehouse=str(settings.working_warehouse),
                   dagster_home=str(settings.dagster_home), duckdb_memory_limit=settings.duckdb_memory_limit,
                   engine=settings.engine, lake=str(settings.lake_dir))

    def get(self) -> Settings:
        return Settings(data_root=Path(self.data_root), working_warehouse=Path(self.working_warehouse),
                        dagster_home=Path(self.dagster_home), duckdb_memory_limit=self.duckdb_memory_limit,
                        engine=self.engine, lake=Path(self.lake) if self.lake else None)


def _date_problem(text: str) -> str | None:
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        return f"{exc} (expected YYYY-MM-DD)"
    return None


class NightOptions(dg.ConfigurableResource):
    """What a run evaluates, set once (by `opsready run`/`backfill`, or in the launchpad) and read by the steps that
    need it: `as_of` the readiness date (empty: the latest extract date loaded), passed to dbt as the var `as_of`;
    `readiness_dates` the dates a backfill evaluates (dbt var `readiness_dates`); `reprocess_from`/`reprocess_to`
    the MES extract dates whose plant-days the run recomputes from raw (both or neither); `full_history` also
    evaluates every month end since the earliest data (`opsready run --history`; a warehouse's first run does it
    anyway). Checked here, once: a bad value is refused before any step runs, with its reason."""

    as_of: str = ""
    readiness_dates: list[str] = []
    reprocess_from: str = ""
    reprocess_to: str = ""
    full_history: bool = False

    @field_validator("as_of", "reprocess_from", "reprocess_to")
    @classmethod
    def _a_date_or_empty(cls, value: str) -> str:
        if value and (problem := _date_problem(value)):
            raise ValueError(problem)
        return value

    @field_validator("readiness_dates")
    @classmethod
    def _dates(cls, values: list[str]) -> list[str]:
        for value in values:
            if problem := _date_problem(value):
                raise ValueError(f"{value!r}: {problem}")
        return values

    @model_validator(mode="after")
    def _reprocess_range(self) -> NightOptions:
        if bool(self.reprocess_from) != bool(self.reprocess_to):
            raise ValueError("reprocess needs both reprocess_from and reprocess_to (YYYY-MM-DD)")
        if self.reprocess_from and self.reprocess_from > self.reprocess_to:
            raise ValueError(f"reprocess_from {self.reprocess_from} is after reprocess_to {self.reprocess_to}")
        return self

    def dbt_vars(self) -> dict:
        """The readiness date and the backfill's dates as dbt vars (the gates' vars are added by the dbt step)."""
        return {**({"as_of": self.as_of} if self.as_of else {}),
                **({"readiness_dates": self.readiness_dates} if self.readiness_dates else {}),
                **({"readiness_full_history": True} if self.full_history else {})}


def warehouse_resource(settings: Settings) -> DuckDBResource:
    """DuckDB on the working copy this run builds into, the file dbt's profile reads from `OPSREADY_WAREHOUSE`."""
    return DuckDBResource(database=str(settings.working_warehouse),
                          connection_config={"memory_limit": settings.duckdb_memory_limit})


class GreatExpectationsResource(dg.ConfigurableResource):
    """Validates landing frames with their GX suites in a process of its own (ingest/gx_process.py), started when
    the run's resources start, so GX's ~4 s import runs on the second core during the first steps instead of in
    the landing step, and validating a batch does not hold this process's interpreter lock while it writes."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        gx_process.start()

    def validate_frames(self, entity: str, frames: list) -> list[list]:
        return gx_process.validate_frames(entity, frames)
