"""The nightly job, its schedule and the sensor that starts it when new landing files arrive."""

import hashlib
import os
from pathlib import Path

import dagster as dg

from opsready.paths import Settings
from orchestration.resources import SettingsResource

nightly_job = dg.define_asset_job(
    name="nightly",
    selection=dg.AssetSelection.all(),
    description="Working copy → ingest → dbt build (tests as checks) → publish → report.",
    executor_def=dg.in_process_executor,  # DuckDB allows one writing process
)

warehouse_job = dg.define_asset_job(
    name="warehouse_only",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("report"),
    description="The nightly without the report build: working copy → ingest → dbt → publish.",
    executor_def=dg.in_process_executor,
)


def nightly_schedule(settings: Settings) -> dg.ScheduleDefinition:
    """02:00 plant-local by default; `OPSREADY_NIGHTLY_CRON` and `OPSREADY_TIMEZONE` change it."""
    try:
        return dg.ScheduleDefinition(
            name="nightly_at_two",
            job=nightly_job,
            cron_schedule=settings.nightly_cron,
            execution_timezone=settings.timezone,
            default_status=dg.DefaultScheduleStatus.RUNNING,
            description="02:00 plant-local by default; OPSREADY_NIGHTLY_CRON and OPSREADY_TIMEZONE change it.",
        )
    except dg.DagsterInvalidDefinitionError as exc:  # name the settings the bad value came from
        raise dg.DagsterInvalidDefinitionError(
            f"the nightly schedule: OPSREADY_NIGHTLY_CRON={settings.nightly_cron!r}, "
            f"OPSREADY_TIMEZONE={settings.timezone!r}: {exc}") from exc


def landing_fingerprint(root: Path) -> tuple[str, int]:
    """A digest of every landing file's path, size and modification time, and the number of files."""
    digest = hashlib.sha256()
    count = 0
    if root.exists():
        for p in sorted(root.rglob("*")):
            if p.is_file():
                st = p.stat()
                digest.update(f"{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
                count += 1
    return digest.hexdigest(), count


@dg.sensor(job=nightly_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.RUNNING)
def new_landing_files(context: dg.SensorEvaluationContext, settings: SettingsResource):
    """Start the nightly when the landing folder changed since the last request (new, replaced or removed files).
    Its first tick only records what is there (starting the UI must not start a nightly), unless
    `OPSREADY_SENSOR_RUN_ON_START=1` asks for a run on the files already landed."""
    fingerprint, count = landing_fingerprint(settings.get().landing_dir)
    if context.cursor is None and os.environ.get("OPSREADY_SENSOR_RUN_ON_START") != "1":
        context.update_cursor(fingerprint)
        return dg.SkipReason(f"first tick: {count} landing files recorded; a change to them starts the nightly")
    if count == 0 or fingerprint == context.cursor:
        return dg.SkipReason(f"no change in {count} landing files")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint, tags={"opsready/trigger": "landing_sensor"})
