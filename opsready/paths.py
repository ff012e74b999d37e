"""Where everything lives. `OPSREADY_DATA` (default `./data`) is the one root; every path derives from it here.

- landing/<source>/<extract_date>/<file>   what the systems deliver
- warehouse/opsready.duckdb                the published warehouse analysts and the report read
- warehouse/build/opsready.duckdb          the working copy a run builds into (`OPSREADY_WAREHOUSE`)
- reports/site                             the published report (static site)
"""

from __future__ import annotations

import functools
import os
from pathlib import Path


def data_root() -> Path:
    return Path(os.environ.get("OPSREADY_DATA", "data")).resolve()


def landing_dir() -> Path:
    return data_root() / "landing"


def warehouse_dir() -> Path:
    return data_root() / "warehouse"


def published_warehouse() -> Path:
    return warehouse_dir() / "opsready.duckdb"


def build_warehouse() -> Path:
    """The DuckDB file a run writes to. Dagster's resources and dbt's profile both read it from
    `OPSREADY_WAREHOUSE`; when unset it is derived from `OPSREADY_DATA`."""
    explicit = os.environ.get("OPSREADY_WAREHOUSE")
    return Path(explicit).resolve() if explicit else warehouse_dir() / "build" / "opsready.duckdb"


def reports_dir() -> Path:
    return data_root() / "reports"


def published_report() -> Path:
    return reports_dir() / "site"


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


DEFAULT_DUCKDB_MEMORY_LIMIT = "2GB"


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for the run's writers (ingest and dbt): `OPSREADY_DUCKDB_MEMORY_LIMIT`, default 2GB.
    DuckDB spills to disk beyond it; its own default (80 % of RAM) would let one night take the whole machine.
    A value DuckDB does not take is refused here, naming the setting, not later in every step that connects."""
    value = os.environ.get("OPSREADY_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT
    _check_memory_limit(value)
    return value


@functools.cache
def _check_memory_limit(value: str) -> None:
    """Ask DuckDB's own parser (an in-memory database, ~0.1 s), once per value."""
    import duckdb

    try:
        duckdb.connect(config={"memory_limit": value}).close()
    except duckdb.Error as exc:
        raise ValueError(f"OPSREADY_DUCKDB_MEMORY_LIMIT={value!r} is not a DuckDB memory limit such as 2GB: {exc}"
                         ) from exc


def export_warehouse_env() -> Path:
    """Set `OPSREADY_WAREHOUSE` (and the DuckDB memory limit) for child tools (dbt) so they build into the same
    file as Dagster, under the same limit."""
    path = build_warehouse()
    os.environ["OPSREADY_WAREHOUSE"] = str(path)
    os.environ["OPSREADY_DUCKDB_MEMORY_LIMIT"] = duckdb_memory_limit()
    return path
