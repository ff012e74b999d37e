"""Reprocess MES extract dates: make the run recompute every plant-day their loads cover.

The incremental MES chain recomputes the plant-days of loads it has not seen (`intermediate.int_mes_load_footprint`).
Forgetting the footprint of the loads of some extract dates makes the next dbt build treat them as new, so exactly
their plant-days are deleted and recomputed from raw. Applied to the run's working copy only (the published file
is never written), by `opsready run --reprocess-from D1 --reprocess-to D2`.
"""

from __future__ import annotations

from datetime import date

import duckdb

MES_ENTITIES = ("machine_states", "production_counts")


def reprocess_extract_dates(con: duckdb.DuckDBPyConnection, start: date, end: date) -> int:
    """Forget the footprint of the MES loads of extract dates start..end; return how many loads that is."""
    if start > end:
        raise ValueError(f"reprocess range is empty: {start} is after {end}")
    exists = con.execute("select count(*) from information_schema.tables where table_schema = 'intermediate' "
                         "and table_name = 'int_mes_load_footprint'").fetchone()[0]
    if not exists:
        return 0
    ids = [r[0] for r in con.execute(
        "select distinct load_id from audit.load_log where entity in (select unnest(?)) "
        "and status in ('loaded', 'replaced') and extract_date between ? and ?", [list(MES_ENTITIES), start, end]
    ).fetchall()]
    if ids:
        con.execute("delete from intermediate.int_mes_load_footprint where load_id in (select unnest(?))", [ids])
    return len(ids)
