"""Pilot funnel, benefit, spend and hygiene marts on hand-written raw rows, through a real `dbt build`.

One small estate (company Acme, plants A and B) is inserted into a fresh DuckDB warehouse; dbt builds the pilot and
benefit marts (plus their staging and intermediate models, data tests and unit tests) once; every expected value
below is worked out by hand in the comments, not by the SQL under test. The readiness date comes from
audit.load_log (latest extract loaded: 2025-12-31), so the as_of_date() fallback is exercised too.
"""

from __future__ import annotations


from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.warehouse import ensure_warehouse
from opsready.gates import dbt_vars
from tests.dbt_runner import dbt_build

REPO = Path(__file__).resolve().parent.parent
AS_OF = date(2025, 12, 31)
MARTS = ["pilot_to_scale", "pilot_purgatory", "benefit_realisation", "plant_roi", "spend_by_year",
         "spend_by_category", "initiative_hygiene"]


def _insert(con, table: str, source: str, extract_date: str, rows: list[dict]) -> None:
    for i, row in enumerate(rows, 1):
        cols = list(row) + ["_source", "_extract_date", "_file", "_row", "_load_id"]
        values = list(row.values()) + [source, extract_date, f"{source}/{extract_date}/{table}", i, f"L-{table}"]
        con.execute(f"insert into raw.{table} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})", values)


def _write_estate(con) -> None:
    ensure_warehouse(con)
    # plants: an older snapshot (A under another name, plant Z since closed) that staging must ignore
    _insert(con, "plants", "erp-acme", "2025-09-30", [
        dict(plant_id="A", plant_name="Old A", company="Acme", timezone="UTC"),
        dict(plant_id="Z", plant_name="Closed", company="Acme", timezone="UTC")])
    _insert(con, "plants", "erp-acme", "2025-12-31", [
        dict(plant_id="A", plant_name="Alpha", company="Acme", timezone="UTC"),
        dict(plant_id="B", plant_name="Beta", company="Acme", timezone="UTC")])
    reg = "2025-12-31"
    _insert(con, "initiatives", "pilots", reg, [
        dict(initiative_id="I1", company="Acme", name="Master data", technology="master data", wave=1,
             capability_enabled="c", outcome_kpi="k", outcome_target="t", dependencies="d", exit_criteria="e",
             license_budget=100.0, change_budget=175.0, planned_annual_benefit=1_200_000.0),
        dict(initiative_id="I2", company="Acme", name="PdM", technology="predictive maintenance", wave=2,
             capability_enabled="c", outcome_kpi="k", outcome_target="t", dependencies="d", exit_criteria=None,
             license_budget=100.0, change_budget=100.0, planned_annual_benefit=600_000.0)])
    _insert(con, "pilots", "pilots", reg, [
        dict(pilot_id="p1", initiative_id="I1", plant_id="A", pilot_name="MD A", scope="line",
             started_on="2023-01-01", planned_end_on="2023-06-30"),
        dict(pilot_id="p2", initiative_id="I1", plant_id="B", pilot_name="MD B", scope="line",
             started_on="2023-02-01", planned_end_on="2023-06-30"),
        dict(pilot_id="p3", initiative_id="I2", plant_id="A", pilot_name="PdM A", scope="line",
             started_on="2024-01-01", planned_end_on="2024-03-31"),
        dict(pilot_id="p4", initiative_id="I2", plant_id="B", pilot_name="PdM B plant", scope="plant",
             started_on="2024-02-01", planned_end_on="2026-01-31"),
        dict(pilot_id="p5", initiative_id="I2", plant_id="B", pilot_name="PdM B2", scope="line",
             started_on="2024-03-01", planned_end_on="2024-04-30"),
        dict(pilot_id="p6", initiative_id="I2", plant_id="B", pilot_name="PdM B3", scope="line",
             started_on="2024-04-01", planned_end_on="2024-06-30")])
    _insert(con, "pilot_status_log", "pilots", reg, [
        dict(pilot_id="p1", status_on="2023-01-01", status="running"),
        dict(pilot_id="p1", status_on="2023-05-01", status="scaled"),
        dict(pilot_id="p2", status_on="2023-02-01", status="running"),   # never concluded: stalled
        dict(pilot_id="p3", status_on="2024-01-01", status="running"),
        dict(pilot_id="p3", status_on="2024-03-01", status="running"),
        dict(pilot_id="p3", status_on="2024-09-01", status="scaled"),    # scaled after stalling (from 2024-06-30)
        dict(pilot_id="p4", status_on="2024-02-01", status="running"),   # planned end 2026: still running
        dict(pilot_id="p5", status_on="2024-03-01", status="running"),
        dict(pilot_id="p5", status_on="2024-05-01", status="stopped"),
        dict(pilot_id="p6", status_on="2024-04-01", status="running"),
        dict(pilot_id="p6", status_on="2024-07-01", status="stopped")])
    lower = dict(initiative_id="I1", plant_id="A", kpi="errors", direction="lower_is_better",
                 baseline_value=10.0, measured_value=8.0, value_per_unit=5.0, volume=1000.0)  # 2*5*1000 = 10,000
    higher = dict(initiative_id="I2", plant_id="B", kpi="oee", direction="higher_is_better",
                  baseline_value=50.0, measured_value=55.0, value_per_unit=2.0, volume=1000.0)  # 5*2*1000 = 10,000
    _insert(con, "benefit_log", "pilots", reg,
            [dict(lower, month=m) for m in ("2024-12-01", "2025-01-01", "2025-02-01", "2025-03-01")]
            + [dict(higher, month=m) for m in ("2025-06-01", "2025-07-01")])
    _insert(con, "cost_ledger", "erp-acme", "2025-12-31", [
        dict(posting_id="c1", posting_date="2023-03-01", initiative_id="I1", plant_id="A", category="license",
             amount=100_000.0, currency="USD"),
        dict(posting_id="c2", posting_date="2023-04-01", initiative_id="I1", plant_id=None, category="integration",
             amount=60_000.0, currency="USD"),
        dict(posting_id="c3", posting_date="2023-05-01", initiative_id="I1", plant_id="A", category="training",
             amount=90_000.0, currency="USD"),
        dict(posting_id="c4", posting_date="2024-02-01", initiative_id="I2", plant_id="B", category="license",
             amount=50_000.0, currency="USD"),
        dict(posting_id="c5", posting_date="2026-01-15", initiative_id="I2", plant_id="B", category="license",
             amount=999.0, currency="USD")])  # after as_of: ignored
    _insert(con, "systems", "pilots", reg, [
        dict(system_id="s1", plant_id="A", name="Access DB", status="retired", retired_on="2023-12-31",
             replaced_by_initiative="I1"),
        dict(system_id="s2", plant_id="A", name="PdM platform", status="active")])
    con.execute("""insert into audit.load_log (load_id, source, entity, extract_date, rows_loaded, status)
                   values ('L1', 'erp-acme', 'plants', '2025-12-31', 2, 'loaded'),
                          ('L2', 'erp-acme', 'plants', '2025-09-30', 2, 'loaded')""")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    tmp = tmp_path_factory.mktemp("dbt_pilots")
    path = tmp / "wh.duckdb"
    con = duckdb.connect(str(path))
    _write_estate(con)
    con.close()
    selection = [f"+{m}" for m in MARTS] + ["stg_erp__plants_history"]
    # initiative_hygiene reads the readiness timeline, so the gate config goes in as vars
    proc = dbt_build(path, tmp, selection, dbt_vars=dbt_vars())
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def _rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_staging_keeps_only_the_latest_snapshot(warehouse):
    assert _rows(warehouse, "select plant_id, plant_name from staging.stg_erp__plants order by 1") == [
        ("A", "Alpha"), ("B", "Beta")]
    assert _rows(warehouse, "select count(*) from staging.stg_erp__plants_history") == [(4,)]


def test_pilot_to_scale_is_a_ratio_of_sums(warehouse):
    got = {(g, v): (s, c, sc, st, r, t) for g, v, s, c, sc, st, r, t in _rows(warehouse, """
        select grain, grain_value, pilots_started, pilots_concluded, pilots_scaled, pilots_stalled,
               pilot_to_scale_rate, tier from marts.pilot_to_scale""")}
    # Acme: p1, p3 scaled; p2 stalled; p5, p6 stopped; p4 running -> 2 / 5 = 0.40 'good'
    # (mean of the plant rates would be (1.0 + 0.0) / 2 = 0.5)
    assert got[("company", "Acme")] == (6, 5, 2, 1, pytest.approx(0.4), "good")
    assert got[("plant", "A")] == (2, 2, 2, 0, pytest.approx(1.0), "best in class")
    assert got[("plant", "B")] == (4, 3, 0, 1, pytest.approx(0.0), "pilot purgatory")
    assert got[("wave", "1")] == (2, 2, 1, 1, pytest.approx(0.5), "good")
    assert got[("wave", "2")] == (4, 3, 1, 0, pytest.approx(1 / 3), "average")
    assert got[("start_year", "2023")] == (2, 2, 1, 1, pytest.approx(0.5), "good")


def test_purgatory_lists_the_stalled_pilot_with_days_overdue(warehouse):
    # p2: planned end 2023-06-30; to 2025-12-31 = 366 (to 2024-06-30, leap year) + 365 + 184 = 915 days;
    # stalled since 2023-06-30 + 91 = 2023-09-29
    assert _rows(warehouse, """select pilot_id, pilot_name, plant_name, initiative_id, stalled_since, days_overdue
                               from marts.pilot_purgatory""") == [
        ("p2", "MD B", "Beta", "I1", date(2023, 9, 29), 915)]


def test_status_history_is_queryable_as_of_any_date(warehouse):
    # p3 ran from 2024-01-01, planned end 2024-03-31 + 90 = 2024-06-29: stalled 2024-06-30 … 2024-08-31, then scaled
    status_on = """select status from intermediate.int_pilot_status_intervals
                   where pilot_id = 'p3' and valid_from <= date '{d}' and (valid_to is null or date '{d}' < valid_to)"""
    assert _rows(warehouse, status_on.format(d="2024-06-29")) == [("running",)]
    assert _rows(warehouse, status_on.format(d="2024-06-30")) == [("stalled",)]
    assert _rows(warehouse, status_on.format(d="2024-09-01")) == [("scaled",)]


def test_benefit_realisation(warehouse):
    got = {(i, p): r for i, p, *r in _rows(warehouse, """
        select initiative_id, plant_id, planned_annual_benefit, annualised_benefit, realisation, measured_months,
               spend, change_multiple, payback_months
        from marts.benefit_realisation""")}
    # I1 plans 1.2M over plants A and B: 600k each. A: 2025-01..03 at 10k = 30k in the window (2024-12 is outside),
    # 4 months measured; spend 100k license + 30k half of the plant-less integration + 90k training = 220k,
    # change multiple (30k + 90k) / 100k = 1.2, payback 220k / (30k / 12) = 88 months.
    assert got[("I1", "A")] == pytest.approx([600_000, 30_000, 0.05, 4, 220_000, 1.2, 88.0])
    # B: no benefit, 30k shared integration, no licence: change multiple and payback null
    assert got[("I1", "B")][:5] == pytest.approx([600_000, 0.0, 0.0, 0, 30_000])
    assert got[("I1", "B")][5:] == [None, None]
    # I2 (higher is better) plans 600k over A and B: 300k each. B: 2 months at (55 - 50) * 2 * 1000 = 10k = 20k,
    # realisation 20k / 300k; spend 50k license (the 2026 posting is after as_of), payback 50k / (20k / 12) = 30
    assert got[("I2", "B")][:5] == pytest.approx([300_000, 20_000, 20_000 / 300_000, 2, 50_000])
    assert got[("I2", "B")][6] == pytest.approx(30.0)
    assert _rows(warehouse, "select sum(annualised_benefit) from marts.benefit_realisation") == [(50_000.0,)]


def test_plant_roi_needs_three_months_and_positive_benefit(warehouse):
    # A: 4 distinct months, 30k > 0 -> ROI; B: 2 months only -> none
    assert _rows(warehouse, "select plant_id, measured_months, has_measurable_roi from marts.plant_roi order by 1") == [
        ("A", 4, True), ("B", 2, False)]


def test_spend_by_year_and_change_multiple(warehouse):
    # 2023: 100k license, 60k integration, 90k training = 250k, multiple 150k / 100k = 1.5; 2024: 50k license only
    assert _rows(warehouse, """select posting_year, total_spend, change_multiple from marts.spend_by_year
                               order by 1""") == [(2023, 250_000.0, 1.5), (2024, 50_000.0, 0.0)]


def test_initiative_hygiene(warehouse):
    # I1: all answers, 175/100 = 1.75, retired s1, wave 1, first pilot line, 2 plants -> no flag.
    # I2: exit criteria missing (wishlist), 100/100 = 1.0 (< 1.5), nothing retired; its wave-2 pilots start at A
    # and B after the wave-1 pilots there (p1 2023-01-01, p2 2023-02-01); first pilot p3 is line-scoped; 2 plants.
    assert _rows(warehouse, """select initiative_id, wishlist, change_under_budgeted, no_sunset, wave_skipped, big_bang
                               from marts.initiative_hygiene order by 1""") == [
        ("I1", False, False, False, False, False),
        ("I2", True, True, True, False, False)]
