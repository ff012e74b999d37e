"""Run history in the warehouse: every nightly's outcome, duration and rows per asset, queryable in `audit`.

Dagster's own run storage is the source. Each publish copies it into the working copy just before the swap, so
`audit.run_log` and `audit.run_assets` in the published warehouse hold every run up to this one, failed runs
included (a failed run cannot publish, so it appears with the next successful one). A run that Dagster still lists
as in progress but that started before this one was killed (`kill -9`, a power cut: nothing recorded its end; one
nightly runs at a time per data root, `opsready.cli.run_lock`): it is recorded as `ABANDONED`, not left `STARTED`.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import dagster as dg
import duckdb

RUN_TABLES = {
    "run_log": "run_id VARCHAR PRIMARY KEY, job_name VARCHAR, status VARCHAR, trigger VARCHAR, "
               "started_at TIMESTAMP, finished_at TIMESTAMP, duration_s DOUBLE",
    "run_assets": "run_id VARCHAR, asset_key VARCHAR, materialized_at TIMESTAMP, rows_loaded BIGINT, "
                  "rows_quarantined BIGINT, metadata VARCHAR",
}

ROW_KEYS = ("rows_loaded", "rows_quarantined")
IN_PROGRESS = {"QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING"}  # Dagster's statuses before an end
ABANDONED = "ABANDONED"


def _ts(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).replace(tzinfo=None) if epoch else None


def _metadata_value(value):
    return getattr(value, "value", value)


def record_run_history(con: duckdb.DuckDBPyConnection, instance: dg.DagsterInstance, current_run_id: str) -> int:
    """Upsert every run Dagster knows (up to 500) into `audit.run_log`; the current run as `PUBLISHED` with its
    duration so far, an earlier run still in progress as `ABANDONED` (no end time). Asset rows are recorded for runs
    not recorded before. Returns the number of runs."""
    for name, cols in RUN_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS audit.{name} ({cols})")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    records = instance.get_run_records(limit=500)
    current = next((rec for rec in records if rec.dagster_run.run_id == current_run_id), None)
    current_start = current.start_time if current is not None and current.start_time else time.time()
    known_assets = {r[0] for r in con.execute("select distinct run_id from audit.run_assets").fetchall()}
    for rec in records:
        run = rec.dagster_run
        is_current = run.run_id == current_run_id
        started = _ts(rec.start_time)
        finished = now if is_current else _ts(rec.end_time)
        status = "PUBLISHED" if is_current else run.status.value
        began = rec.start_time or rec.create_timestamp.timestamp()
        if not is_current and status in IN_PROGRESS and began < current_start:
            status, finished = ABANDONED, None
        duration = (finished - started).total_seconds() if started and finished else None
        con.execute("delete from audit.run_log where run_id = ?", [run.run_id])
        con.execute("insert into audit.run_log values (?, ?, ?, ?, ?, ?, ?)",
                    [run.run_id, run.job_name, status, run.tags.get("opsready/trigger", run.tags.get(
                        "dagster/schedule_name", "manual")), started, finished, duration])
        if run.run_id in known_assets:
            continue
        events = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
        for event in events:
            mat = event.event_log_entry.dagster_event.event_specific_data.materialization
            meta = {k: _metadata_value(v) for k, v in mat.metadata.items()}
            con.execute(
                "insert into audit.run_assets values (?, ?, ?, ?, ?, ?)",
                [run.run_id, "/".join(mat.asset_key.path), _ts(event.event_log_entry.timestamp),
                 meta.get("rows_loaded"), meta.get("rows_quarantined"), json.dumps(meta, default=str)],
            )
    return len(records)
