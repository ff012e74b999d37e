"""Where everything lives. `OPSREADY_DATA` (default `./data`) is the one root; every path derives from it here.

- landing/<source>/<extract_date>/<file>   what the systems deliver
- warehouse/opsready.duckdb                the published warehouse analysts and the report read
- warehouse/build/opsready.duckdb          the working copy a run builds into (`OPSREADY_WAREHOUSE`)
- reports/site                             the published report (static site)
"""

from __future__ import annotations

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


def export_warehouse_env() -> Path:
    """Set `OPSREADY_WAREHOUSE` for child tools (dbt) so they build into the same file as Dagster."""
    path = build_warehouse()
    os.environ["OPSREADY_WAREHOUSE"] = str(path)
    return path
