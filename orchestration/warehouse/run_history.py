"""Run history in the warehouse: every nightly's outcome, duration and rows per asset, queryable in `audit`.

Dagster's own run storage is the source. Each publish copies it into the working copy just before the swap, so
`audit.run_log` and `audit.run_assets` in the published warehouse hold every run up to this one, failed runs
included (a failed run cannot publish, so it appears with the next successful one).
"""

from __future__ import annotations

import json
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


def _ts(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).replace(tzinfo=None) if epoch else None


def _metadata_value(value):
    return getattr(value, "value", value)


def record_run_history(con: duckdb.DuckDBPyConnection, instance: dg.DagsterInstance, current_run_id: str) -> int:
    """Upsert every run Dagster knows (up to 500) into `audit.run_log`; the current run as `PUBLISHED` with its
    duration so far. Asset rows are recorded for runs not recorded before. Returns the number of runs."""
    for name, cols in RUN_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS audit.{name} ({cols})")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    records = instance.get_run_records(limit=500)
    known_assets = {r[0] for r in con.execute("select distinct run_id from audit.run_assets").fetchall()}
    for rec in records:
        run = rec.dagster_run
        is_current = run.run_id == current_run_id
        started = _ts(rec.start_time)
        finished = now if is_current else _ts(rec.end_time)
        status = "PUBLISHED" if is_current else run.status.value
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
