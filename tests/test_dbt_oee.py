"""OEE and downtime models (SPEC §4) on hand-written raw rows: a real DuckDB file, the real `dbt build`.

Every expected number below is worked out by hand from the rows in `_write_raw` (comments show the arithmetic).
Plant P1 is in Europe/Berlin, which switches to summer time on 2024-03-31 (a 23-hour local day); plant P2 is in
America/Chicago (UTC-5 in late March).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.warehouse import ensure_warehouse
from tests.dbt_runner import build_on_raw

REPO = Path(__file__).resolve().parent.parent
OEE_SELECTION = ["+fct_oee_daily", "+oee_rollup", "+defect_escape_monthly", "int_machine_state_defects"]


def insert(con, table: str, rows: list[tuple], source: str, extract_date: str = "2024-04-30") -> None:
    """Insert canonical rows into raw.<table> with lineage (each row its own source_row)."""
    n_cols = len(con.execute(f"select * from raw.{table} limit 0").description) - 5
    for i, row in enumerate(rows, start=1):
        assert len(row) == n_cols, (table, row)
        placeholders = ", ".join(["?"] * (n_cols + 5))
        con.execute(f"insert into raw.{table} values ({placeholders})",
                    [*row, source, extract_date, f"{source}/{extract_date}/{table}", i, f"load-{table}"])


def _write_raw(con) -> None:
    ensure_warehouse(con)
    insert(con, "plants", [("P1", "Berlin works", "Co", "DE", "Europe/Berlin"),
                           ("P2", "Chicago works", "Co", "US", "America/Chicago")], "erp-test", "2024-03-31")
    insert(con, "work_centers", [("WC1", "P1", "L1", "CNC", True, 60.0, "A"),
                                 ("WC2", "P1", "L1", "Assembly", False, 30.0, "B"),
                                 ("WC3", "P2", "L2", "CNC", True, 36.0, "A")], "erp-test", "2024-03-31")
    insert(con, "reason_codes", [("P1", "R1", "mechanical", "Spindle"),
                                 ("P2", "R1", "mechanical", "Spindle")], "mes-test", "2024-03-31")
    # P1 local midnights in UTC: 2024-03-30 23:00 (start of the 31st, CET) and 2024-03-31 22:00 (start of 1 April,
    # CEST). The 31st is 23 hours long.
    insert(con, "machine_states", [
        ("P1", "WC1", "2024-03-30 20:00:00", "2024-03-31 01:00:00", "RUNNING", None),  # 3 h on the 30th, 2 h on the 31st
        # the later-starting interval wins an overlap: the stop is cut at 01:30 (30 min, catalogued reason) ...
        ("P1", "WC1", "2024-03-31 01:00:00", "2024-03-31 02:00:00", "UNPLANNED_STOP", "R1"),
        ("P1", "WC1", "2024-03-31 01:30:00", "2024-03-31 03:00:00", "SETUP", None),  # ... the setup counts 1.5 h
        ("P1", "WC1", "2024-03-31 03:00:00", "2024-03-31 21:00:00", "RUNNING", None),  # 18 h less the next hour: 17 h
        ("P1", "WC1", "2024-03-31 04:00:00", "2024-03-31 05:00:00", "RUNNING", None),  # inside the previous: 1 h
        ("P1", "WC1", "2024-03-31 10:00:00", "2024-03-31 09:00:00", "RUNNING", None),  # negative → excluded
        ("P1", "WC1", "2024-03-31 21:00:00", "2024-04-01 00:00:00", "UNPLANNED_STOP", "ZZ"),  # 1 h on the 31st, 2 h on 1 April; reason not catalogued
        ("P1", "WC1", "2024-04-01 00:00:00", "2024-04-01 06:00:00", "PLANNED_STOP", None),  # outside PBT
        ("P1", "WC2", "2024-03-31 08:00:00", "2024-03-31 16:00:00", "PLANNED_STOP", None),  # PBT 0
        ("P2", "WC3", "2024-03-15 04:00:00", "2024-03-15 06:00:00", "RUNNING", None),  # Chicago 23:00 14th → 01:00 15th
    ], "mes-test")
    insert(con, "production_counts", [
        ("P1", "WC1", "2024-03-30 22:00:00", "M1", 50.0, 50.0, 0.0),  # local 23:00 on the 30th
        ("P1", "WC1", "2024-03-30 23:00:00", "M1", 60.0, 57.0, 3.0),  # local 00:00 on the 31st
        ("P1", "WC1", "2024-03-31 12:00:00", "M1", 1000.0, 950.0, 50.0),
        ("P2", "WC3", "2024-03-15 04:00:00", "M1", 100.0, 100.0, 0.0),  # local 23:00 on the 14th
    ], "mes-test")
    insert(con, "quality_escapes", [("P1", "WC1", "2024-03-01", 10000, 5), ("P1", "WC2", "2024-03-01", 30000, 0),
                                    ("P2", "WC3", "2024-03-01", 0, 0)], "mes-test")
    con.execute("insert into audit.load_log (load_id, extract_date, rows_loaded, status) "
                "values ('load-x', DATE '2024-04-30', 1, 'loaded')")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    con = build_on_raw(tmp_path_factory.mktemp("dbt_oee"), _write_raw, OEE_SELECTION)
    yield con
    con.close()


def daily(con, wc: str, day: str) -> dict:
    cur = con.execute("select * from marts.fct_oee_daily where work_center_id = ? and day = ?", [wc, day])
    rows = cur.fetchall()
    assert len(rows) == 1, (wc, day, rows)
    return dict(zip([d[0] for d in cur.description], rows[0]))


def rollup(con, level: str, grain: str, period: str, key: str | None = None) -> dict:
    key_col = {"line": "line_id", "plant": "plant_id", "work_center": "work_center_id"}.get(level)
    sql = "select * from marts.oee_rollup where level = ? and grain = ? and period_start = ?"
    args = [level, grain, period]
    if key_col:
        sql += f" and {key_col} = ?"
        args.append(key)
    cur = con.execute(sql, args)
    rows = cur.fetchall()
    assert len(rows) == 1, (level, grain, period, key, rows)
    return dict(zip([d[0] for d in cur.description], rows[0]))


def test_dst_day_with_midnight_splits_overlap_and_negative_interval(built):
    d = daily(built, "WC1", "2024-03-31")
    # RUNNING 2 h + 17 h + 1 h = 72000 s; UNPLANNED 0.5 h (cut) + 1 h = 5400 s; SETUP 1.5 h = 5400 s; 23 h day
    assert (d["pbt_s"], d["apt_s"], d["adot_s"], d["sut_s"]) == (82800, 72000, 5400, 5400)
    assert (d["produced_qty"], d["good_qty"]) == (1060, 1007)
    assert d["unplanned_stop_events"] == 2
    assert d["adot_with_valid_reason_s"] == 1800
    assert d["availability"] == pytest.approx(72000 / 82800)
    assert d["effectiveness"] == pytest.approx(1060 * 60 / 72000)
    assert d["quality_rate"] == pytest.approx(0.95)
    assert d["oee"] == pytest.approx(72000 / 82800 * 63600 / 72000 * 0.95)
    assert d["unplanned_downtime_pct"] == pytest.approx(5400 / 82800)
    assert (d["company"], d["line_id"], d["oee_null_reason"]) == ("Co", "L1", None)


def test_interval_across_midnight_lands_on_both_days(built):
    d30 = daily(built, "WC1", "2024-03-30")  # 20:00–23:00 UTC = 21:00–24:00 local
    assert (d30["pbt_s"], d30["apt_s"], d30["produced_qty"]) == (10800, 10800, 50)
    assert d30["effectiveness"] == pytest.approx(50 * 60 / 10800)
    a1 = daily(built, "WC1", "2024-04-01")  # the stop's last 2 h; its event was counted on the 31st
    assert (a1["pbt_s"], a1["apt_s"], a1["adot_s"], a1["planned_stop_s"]) == (7200, 0, 7200, 21600)
    assert a1["unplanned_stop_events"] == 0
    assert a1["availability"] == 0
    assert a1["effectiveness"] is None and a1["oee"] is None
    assert a1["oee_null_reason"] == "no_actual_production_time"
    # Chicago: 1 h on each side of local midnight; the 04:00 UTC count belongs to the 14th
    c14, c15 = daily(built, "WC3", "2024-03-14"), daily(built, "WC3", "2024-03-15")
    assert (c14["apt_s"], c15["apt_s"], c14["produced_qty"], c15["produced_qty"]) == (3600, 3600, 100, None)
    assert c14["effectiveness"] == pytest.approx(100 * 36 / 3600)


def test_zero_planned_busy_time_gives_nulls_not_zero(built):
    d = daily(built, "WC2", "2024-03-31")
    assert (d["pbt_s"], d["planned_stop_s"]) == (0, 28800)
    assert d["availability"] is None and d["oee"] is None and d["unplanned_downtime_pct"] is None
    assert d["oee_null_reason"] == "no_planned_busy_time"


def test_defects_are_listed_and_not_double_counted(built):
    # the stop cut at 01:30 by the setup, the 18 h run cut for the hour of the run inside it, the negative interval
    rows = built.execute("select defect_type, handling, state, recorded_s, counted_s "
                         "from intermediate.int_machine_state_defects order by defect_type, recorded_s").fetchall()
    assert rows == [("negative_duration", "excluded", "RUNNING", -3600, 0),
                    ("overlap_clipped", "clipped", "UNPLANNED_STOP", 3600, 1800),
                    ("overlap_clipped", "clipped", "RUNNING", 64800, 61200)]


def test_rollups_sum_components(built):
    line = rollup(built, "line", "day", "2024-03-31", "L1")  # WC1 + WC2 (PBT 0)
    assert (line["pbt_s"], line["apt_s"], line["unplanned_stop_events"]) == (82800, 72000, 2)
    assert line["mtbf_s"] == pytest.approx(72000 / 2)
    assert line["mttr_s"] == pytest.approx(5400 / 2)
    assert line["reason_coverage"] == pytest.approx(1800 / 5400)
    march = rollup(built, "line", "month", "2024-03-01", "L1")  # days 30 + 31 of WC1, 31 of WC2
    assert (march["pbt_s"], march["apt_s"], march["adot_s"]) == (93600, 82800, 5400)
    assert march["availability"] == pytest.approx(82800 / 93600)
    assert march["effectiveness"] == pytest.approx((50 + 1060) * 60 / 82800)
    assert march["quality_rate"] == pytest.approx((50 + 1007) / (50 + 1060))
    april = rollup(built, "line", "month", "2024-04-01", "L1")
    assert april["unplanned_downtime_pct"] == 1.0
    assert april["mtbf_s"] is None and april["mttr_s"] is None  # no event started in April
    company = rollup(built, "company", "month", "2024-03-01")  # adds Chicago's 2 h
    assert (company["pbt_s"], company["apt_s"]) == (93600 + 7200, 82800 + 7200)


def test_defect_escape_ppm(built):
    rows = dict(built.execute("select coalesce(work_center_id, line_id, plant_id, level), defect_escape_ppm "
                              "from marts.defect_escape_monthly where month = '2024-03-01'").fetchall())
    assert rows["WC1"] == pytest.approx(500.0)  # 5 / 10 000
    assert rows["L1"] == pytest.approx(125.0)  # 5 / 40 000, not the mean of 500 and 0
    assert rows["WC3"] is None  # nothing shipped
    assert rows["company"] == pytest.approx(125.0)
