"""Where everything lives and the settings a run takes: one `Settings`, made from the environment where a process
starts (the `opsready` command, or Dagster loading the code location) and passed down from there.

`OPSREADY_DATA` (default `./data`) is the one root; every path derives from it:

- landing/<source>/<extract_date>/<file>   what the systems deliver
- warehouse/opsready.duckdb                the published warehouse analysts and the report read
- warehouse/build/opsready.duckdb          the working copy a run builds into (`OPSREADY_WAREHOUSE` overrides it)
- reports/site                             the published report (static site)
- dagster                                  Dagster's home (`DAGSTER_HOME` overrides it)
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

DEFAULT_DUCKDB_MEMORY_LIMIT = "2GB"
DEFAULT_NIGHTLY_CRON = "0 2 * * *"
DEFAULT_TIMEZONE = "America/Chicago"
ENGINES = ("duckdb", "spark")  # what builds the dbt project (docs/scale-out.md)


class SettingError(ValueError):
    """A setting has a value opsready cannot use; the message names the setting."""


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """The settings of one process. `duckdb_memory_limit` caps the run's writers (ingest and dbt): DuckDB spills to
    disk beyond it; its own default (80 % of RAM) would let one night take the whole machine."""

    data_root: Path
    working_warehouse: Path
    dagster_home: Path
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    nightly_cron: str = DEFAULT_NIGHTLY_CRON
    timezone: str = DEFAULT_TIMEZONE
    dbt_resource: str = "lean"  # or "stock": dagster-dbt's resource as it comes (orchestration/transform/dbt_cli.py)
    engine: str = "duckdb"  # or "spark": dbt builds on Spark over the Parquet lake, marts copied back (opsready/lake.py)
    lake: Path | None = None  # OPSREADY_LAKE; default `lake_dir`

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Read `OPSREADY_DATA`, `OPSREADY_WAREHOUSE`, `DAGSTER_HOME`, `OPSREADY_DUCKDB_MEMORY_LIMIT`,
        `OPSREADY_NIGHTLY_CRON`, `OPSREADY_TIMEZONE`, `OPSREADY_DBT_RESOURCE`, `OPSREADY_ENGINE` and
        `OPSREADY_LAKE`. Raises SettingError naming a value it refuses (a memory limit DuckDB does not take, an
        unknown dbt resource or engine)."""
        root = Path(environ.get("OPSREADY_DATA") or "data").resolve()
        working = environ.get("OPSREADY_WAREHOUSE")
        home = environ.get("DAGSTER_HOME")
        limit = environ.get("OPSREADY_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT
        check_memory_limit(limit)
        dbt_resource = environ.get("OPSREADY_DBT_RESOURCE") or "lean"
        if dbt_resource not in ("lean", "stock"):
            raise SettingError(f"OPSREADY_DBT_RESOURCE={dbt_resource!r} is not one of lean, stock")
        engine = environ.get("OPSREADY_ENGINE") or "duckdb"
        if engine not in ENGINES:
            raise SettingError(f"OPSREADY_ENGINE={engine!r} is not one of {', '.join(ENGINES)}")
        lake = environ.get("OPSREADY_LAKE")
        default_working = root / "warehouse" / "build" / "opsready.duckdb"
        return cls(data_root=root,
                   working_warehouse=Path(working).resolve() if working else default_working,
                   dagster_home=Path(home).resolve() if home else root / "dagster",
                   duckdb_memory_limit=limit,
                   nightly_cron=environ.get("OPSREADY_NIGHTLY_CRON") or DEFAULT_NIGHTLY_CRON,
                   timezone=environ.get("OPSREADY_TIMEZONE") or DEFAULT_TIMEZONE,
                   dbt_resource=dbt_resource, engine=engine, lake=Path(lake).resolve() if lake else None)

    @property
    def landing_dir(self) -> Path:
        return self.data_root / "landing"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_root / "warehouse"

    @property
    def published_warehouse(self) -> Path:
        return self.warehouse_dir / "opsready.duckdb"

    @property
    def lake_dir(self) -> Path:
        """The Parquet lake the Spark engine reads raw from and writes marts to (`OPSREADY_LAKE`, default
        `$OPSREADY_DATA/lake`)."""
        return self.lake or self.data_root / "lake"

    @property
    def reports_dir(self) -> Path:
        return self.data_root / "reports"

    @property
    def published_report(self) -> Path:
        return self.reports_dir / "site"

    def child_env(self) -> dict[str, str]:
        """What child tools started by this process read (dbt's profile: the working copy and the memory limit;
        Dagster: its home), so they build into the same file as Dagster, under the same limit."""
        return {"OPSREADY_DATA": str(self.data_root), "OPSREADY_WAREHOUSE": str(self.working_warehouse),
                "OPSREADY_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit, "DAGSTER_HOME": str(self.dagster_home),
                "OPSREADY_LAKE": str(self.lake_dir)}


@functools.cache
def check_memory_limit(value: str) -> None:
    """Ask DuckDB's own parser (an in-memory database, ~0.1 s), once per value: a value DuckDB does not take is
    refused here, naming the setting, not later in every step that connects."""
    try:
        duckdb.connect(config={"memory_limit": value}).close()
    except duckdb.Error as exc:
        raise SettingError(f"OPSREADY_DUCKDB_MEMORY_LIMIT={value!r} is not a DuckDB memory limit such as 2GB: {exc}"
                           ) from exc


# Read-only commands and the report, which need one path and no run, read it here from the environment.
def data_root() -> Path:
    return Settings.from_env().data_root


def landing_dir() -> Path:
    return Settings.from_env().landing_dir


def published_warehouse() -> Path:
    return Settings.from_env().published_warehouse


def published_report() -> Path:
    return Settings.from_env().published_report
