"""The one place that runs a job: `run_job(settings, job_name, night)`, used by `opsready run`, `opsready backfill`
and the tests. It runs in this process (DuckDB allows one writer), one run per data root at a time, on the Dagster
instance under `settings.dagster_home`, and returns Dagster's result; `step_failure_lines` sums up a failed one."""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from ingest import gx_process
from opsready import gates
from opsready.paths import Settings
from orchestration.definitions import build_definitions
from orchestration.resources import NightOptions
from orchestration.transform.assets import DBT_STEP
from orchestration.transform.build_state import QUIET_TAG, quiet_night
from orchestration.transform.project import prepare_manifest

TELEMETRY_OFF = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DAGSTER_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1",
                 "GX_ANALYTICS_ENABLED": "false"}
DAGSTER_YAML = ("telemetry:\n  enabled: false\n"
                "run_queue:\n  max_concurrent_runs: 1\n")  # one writer to the warehouse at a time


class RunLocked(RuntimeError):
    """Another run holds the data root's run lock."""


def quiet_telemetry() -> None:
    """Telemetry of dbt, Dagster, GX and Evidence stays off, whoever starts us."""
    for key, value in TELEMETRY_OFF.items():
        os.environ.setdefault(key, value)


def prepare_dagster_home(settings: Settings) -> Path:
    """`settings.dagster_home` with a dagster.yaml that turns telemetry off (Dagster's stock storage otherwise)."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    # earlier opsready versions named an event-log storage of their own there; it no longer exists
    if not config.exists() or "orchestration.event_log" in config.read_text():
        config.write_text(DAGSTER_YAML)
    return home


def start_process(settings: Settings) -> None:
    """What a process that runs jobs does once, before loading definitions: telemetry off, and the settings that
    child tools (dbt's profile) and Dagster's instance read put in the environment."""
    quiet_telemetry()
    prepare_dagster_home(settings)
    os.environ.update(settings.child_env())


@contextmanager
def run_lock(settings: Settings) -> Iterator[None]:
    """One run at a time per data root; a second one fails at once with a clear message."""
    lock_path = settings.warehouse_dir / "run.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked(f"another run holds {lock_path}; wait for it to finish") from None
        yield


def night_selection(settings: Settings, job: dg.JobDefinition, night: NightOptions
                    ) -> tuple[list[dg.AssetKey] | None, dict[str, str]]:
    """What the run materializes: the whole job; or, on a quiet night (nothing new landed, same vars, the dbt
    project byte for byte the published build's: transform/build_state.py), every asset but dbt's (so none of dbt's
    tests or the readiness checks either), with the tag `QUIET_TAG` saying which build's results stand. Spark and a
    reprocessing night always build."""
    if settings.engine != "duckdb" or night.reprocess_from:
        return None, {}
    built = quiet_night(settings.published_warehouse, settings.landing_dir, {**gates.dbt_vars(), **night.dbt_vars()})
    if built is None:
        return None, {}
    graph = job.asset_layer.asset_graph
    dbt_keys = {key for assets in graph.assets_defs if assets.is_executable and assets.node_def.name == DBT_STEP
                for key in assets.keys}
    return sorted(graph.executable_asset_keys - dbt_keys), {QUIET_TAG: built.isoformat(sep=" ", timespec="seconds")}


def run_job(settings: Settings, job_name: str = "nightly", night: NightOptions | None = None, *,
            loggers: dict | None = None, on_event: Callable | None = None) -> dg.ExecuteInProcessResult:
    """Run `job_name` ("nightly", or "warehouse_only" without the report) once in this process against
    `settings`, evaluating `night` (default: the latest extract date), on a quiet night without dbt
    (`night_selection`). `loggers` is the run config of Dagster's loggers; `on_event` receives every event of the
    run (the command line's console). Returns Dagster's result."""
    start_process(settings)
    gx_process.start()  # GX's import on the second core while Dagster loads and creates the run (ingest/gx_process.py)
    prepare_manifest(settings)
    night = night or NightOptions()
    job = build_definitions(settings, night).resolve_job_def(job_name)
    run_id = str(uuid.uuid4())  # known before the run, for its event listener
    with run_lock(settings), dg.DagsterInstance.get() as instance:
        selection, tags = night_selection(settings, job, night)
        if on_event is not None:
            instance.add_event_listener(run_id, on_event)
        return job.execute_in_process(instance=instance, raise_on_error=False, run_id=run_id, asset_selection=selection,
                                      tags=tags, run_config={"loggers": loggers} if loggers else None)


def published_by(result: dg.ExecuteInProcessResult) -> bool:
    """Whether the run got as far as publishing the warehouse (a later step, e.g. the report, may still fail)."""
    return any(e.is_step_success and e.step_key == "warehouse__published" for e in result.all_events)


DBT_ERRORS_MARKER = "Errors parsed from dbt logs:"  # in dagster-dbt's DagsterDbtCliRuntimeError message
FAILURE_LINE_LIMIT = 2000


def _cause(error) -> str:
    while error.cls_name in ("DagsterExecutionStepExecutionError", "DagsterResourceFunctionError") \
            and error.cause is not None:
        error = error.cause
    message = error.message.strip()
    if error.cls_name == "Failure":
        message = message.split("Failure: ", 1)[-1]
    if DBT_ERRORS_MARKER in message:
        message = "dbt failed: " + message.split(DBT_ERRORS_MARKER, 1)[1].strip()
    return message[:FAILURE_LINE_LIMIT]


def _step_cause(error) -> str:
    """A failed step's cause; after retries, the last attempt's error and how many retries there were."""
    if error.cls_name == "RetryRequestedFromPolicy" and error.cause is not None:
        return f"{_cause(error.cause)} (after {error.message.split()[-1]} retries)"
    return _cause(error)


def step_failure_lines(result: dg.ExecuteInProcessResult) -> list[str]:
    """`- step: cause` for each failed step of a run, or `- run: cause` when it failed before any step (e.g. a
    resource refused its config). dagster-dbt's error message starts with the whole dbt command line (thousands of
    characters: the gates' vars) and only then the errors it parsed from dbt's log; those errors are the line, so
    the cause is not cut. A `dagster.Failure` raised on purpose by an asset is its description, without the class
    name; any other error is the one the asset raised (class and message), not Dagster's wrapper around it; after
    retries, the last attempt's error and how many retries there were."""
    lines = [f"- {e.step_key}: {_step_cause(e.step_failure_data.error)}" for e in result.all_events
             if e.is_step_failure]
    if not lines:
        lines = [f"- run: {_cause(e.event_specific_data.error)}" for e in result.all_events
                 if e.is_run_failure and e.event_specific_data and e.event_specific_data.error]
    return lines
