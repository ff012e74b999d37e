"""The dbt resource: dagster-dbt's own `DbtCliResource`, or, on the one dagster-dbt version it was measured on,
the same resource without two start-up costs it pays on every run for things opsready does not use.

The two costs (a few seconds on every night that runs dbt, on 2 cores; `make bench` shows the difference in its
"stock dbt resource" row against the +1-day nights): `dbt --version` in a subprocess to learn the version (the
venv's own dbt runs, whose version is the installed dbt-core's), and dbt's macros loaded in process to hand an
adapter to the row-count and column-metadata fetchers (never called here; dagster-dbt runs without one for dbt
Fusion). Both are private methods
of `DbtCliResource`, so the override applies only when the installed dagster-dbt is `LEAN_START_VERSION`; on any
other version, or with `OPSREADY_DBT_RESOURCE=stock`, the stock resource runs: an upgrade may slow a night, never
break it.
"""

from __future__ import annotations

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt import __version__ as dagster_dbt_version
from dbt.version import __version__ as dbt_core_version
from packaging import version

from orchestration.transform.project import dbt_executable

LEAN_START_VERSION = "0.29.27"  # the dagster-dbt release whose private methods the lean resource overrides

# dbt's file log (dbt.log in the run's target folder) at info: node results, warnings and errors. At debug (dbt's
# default) it also writes every SQL statement, megabytes a night, and dbt's threads queue on the log file's lock.
# Failing SQL still reaches the Dagster log and run_results.json; compiled SQL stays under the run's target folder.
# As text, not JSON: dagster-dbt reads dbt's JSON lines on stdout, and writing each event as JSON a second time for
# the file costs dbt interpreter time on every node. No colour codes in either log.
DBT_GLOBAL_FLAGS = ["--log-level-file", "info", "--log-format-file", "text", "--no-use-colors", "--no-use-colors-file"]


class LeanStartDbtCliResource(DbtCliResource):
    """`DbtCliResource` without `dbt --version` in a subprocess and without loading dbt's macros in process."""

    @property
    def _cli_version(self) -> version.Version:
        return version.parse(dbt_core_version)

    def _initialize_dbt_core_adapter(self, args):
        return None


def lean_start_applies(installed: str = dagster_dbt_version, wanted: str = "lean") -> bool:
    return installed == LEAN_START_VERSION and wanted != "stock"


def dbt_resource(project: DbtProject, wanted: str = "lean") -> DbtCliResource:
    """The venv's dbt (next to this interpreter), so `.venv/bin/opsready run` works without an activated venv."""
    resource = LeanStartDbtCliResource if lean_start_applies(wanted=wanted) else DbtCliResource
    return resource(project_dir=project, profiles_dir=str(project.profiles_dir), dbt_executable=dbt_executable(),
                    global_config_flags=DBT_GLOBAL_FLAGS)
