"""A small hand-filled warehouse for the report tests, in exactly SPEC §6's mart columns (plus `pilot_purgatory` and
the `audit` tables of docs/architecture.md). It stands in for the published warehouse until the real pipeline's
session fixture (`published_warehouse` in tests/conftest.py) exists; the values are made up, not the sample's.

It carries the cases the report must survive: a pilot whose initiative is named `<script>alert(1)</script>`,
non-ASCII text, a blocked plant with one failing criterion, integer years, and null ratios.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

XSS_NAME = "<script>alert(1)</script>"
UNICODE_NAME = "Qualitätsprüfung KI – Linie Süd (東京)"
BLOCKED_PLANT = "GT-01"
BLOCKED_CRITERION = "mdq_score"

MS, GT = "MidState Components", "GlobalTech"
PLANTS = {"MS-01": MS, "MS-02": MS, "GT-01": GT, "GT-02": GT}
AS_OFS = [dt.date(2025, 3, 31), dt.date(2025, 6, 30), dt.date(2025, 9, 30), dt.date(2025, 12, 31)]

DDL = """
create schema marts;
create schema audit;
create table marts.fct_oee_daily (company varchar, plant_id varchar, work_center_id varchar, day date,
  pbt_s double, apt_s double, adot_s double, produced_qty double, good_qty double,
  availability double, effectiveness double, quality_rate double, oee double);
create table marts.plant_mdq (company varchar, plant_id varchar, as_of date, completeness double, validity double,
  uniqueness double, consistency double, timeliness double, mdq_score double);
create table marts.pilot_to_scale (grain varchar, grain_value varchar, company varchar, pilots_started bigint,
  pilots_concluded bigint, pilots_scaled bigint, pilots_stalled bigint, pilot_to_scale_rate double, tier varchar);
create table marts.benefit_realisation (company varchar, plant_id varchar, initiative_id varchar, wave integer,
  planned_annual_benefit double, annualised_benefit double, realisation double, spend double, measured_months integer);
create table marts.initiative_hygiene (company varchar, initiative_id varchar, wishlist boolean,
  change_under_budgeted boolean, no_sunset boolean, wave_skipped boolean, big_bang boolean);
create table marts.plant_readiness (company varchar, plant_id varchar, as_of date, current_wave integer,
  next_wave integer, ready boolean);
create table marts.readiness_criteria (company varchar, plant_id varchar, as_of date, gate varchar, criterion varchar,
  value double, threshold double, passed boolean);
create table marts.pilot_purgatory (company varchar, plant_id varchar, pilot_id varchar, initiative_id varchar,
  initiative_name varchar, technology varchar, wave integer, started_on date, planned_end_on date, days_overdue integer);
create table audit.load_log (load_id varchar, run_id varchar, source varchar, profile varchar, entity varchar,
  extract_date date, file varchar, sha256 varchar, rows_read bigint, rows_loaded bigint, rows_quarantined bigint,
  status varchar, message varchar, loaded_at timestamp);
create table audit.quarantine (load_id varchar, source varchar, entity varchar, file varchar, "row" bigint,
  "column" varchar, raw_value varchar, reason varchar);
"""


def _tier(rate: float | None) -> str | None:
    if rate is None:
        return None
    if rate > 0.60:
        return "best in class"
    if rate >= 0.40:
        return "good"
    if rate >= 0.20:
        return "average"
    return "pilot purgatory"


def _pts(grain: str, value: str, company: str, started: int, scaled: int, stopped: int, stalled: int) -> tuple:
    concluded = scaled + stopped + stalled
    rate = scaled / concluded if concluded else None
    return (grain, value, company, started, concluded, scaled, stalled, rate, _tier(rate))


def make_scratch_warehouse(path: Path) -> Path:
    """Write the scratch warehouse to `path` (replacing it) and return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute(DDL)

    pts = [
        _pts("company", MS, MS, 12, 6, 1, 1),
        _pts("company", GT, GT, 40, 4, 9, 15),
        _pts("plant", "MS-01", MS, 7, 4, 0, 1),
        _pts("plant", "MS-02", MS, 5, 2, 1, 0),
        _pts("plant", "GT-01", GT, 22, 1, 5, 9),
        _pts("plant", "GT-02", GT, 18, 3, 4, 6),
        _pts("wave", "1", MS, 4, 3, 0, 0),
        _pts("wave", "2", MS, 4, 2, 1, 0),
        _pts("wave", "3", MS, 3, 1, 0, 1),
        _pts("wave", "4", MS, 1, 0, 0, 0),
        _pts("wave", "1", GT, 10, 2, 2, 3),
        _pts("wave", "2", GT, 10, 1, 3, 4),
        _pts("wave", "3", GT, 12, 1, 2, 5),
        _pts("wave", "4", GT, 8, 0, 2, 3),
        _pts("technology", "predictive maintenance", MS, 5, 3, 0, 1),
        _pts("technology", UNICODE_NAME, GT, 6, 0, 1, 3),
        _pts("start_year", "2023", MS, 6, 4, 1, 0),
        _pts("start_year", "2024", GT, 30, 3, 6, 12),
    ]
    con.executemany("insert into marts.pilot_to_scale values (?,?,?,?,?,?,?,?,?)", pts)

    oee_rows = []
    for p_index, (plant, company) in enumerate(PLANTS.items()):
        for wc in (1, 2):
            day = dt.date(2025, 10, 1)
            while day <= dt.date(2025, 12, 31):
                k = (day.toordinal() * 7 + wc * 13 + p_index * 17) % 23
                pbt = 72000.0
                adot = 1800.0 + 300.0 * k + (3600.0 if company == GT else 0.0)
                setup = 1800.0
                apt = pbt - adot - setup
                produced = round(apt / 30.0 * (0.80 + 0.005 * k))
                good = produced - (3 + k)
                availability = apt / pbt
                effectiveness = produced * 30.0 / apt
                quality = good / produced
                oee_rows.append((company, plant, f"{plant}-WC{wc}", day, pbt, apt, adot, float(produced), float(good),
                                 availability, effectiveness, quality, availability * effectiveness * quality))
                day += dt.timedelta(days=1)
    con.executemany("insert into marts.fct_oee_daily values (?,?,?,?,?,?,?,?,?,?,?,?,?)", oee_rows)

    mdq_rows = []
    for p_index, (plant, company) in enumerate(PLANTS.items()):
        for a_index, as_of in enumerate(AS_OFS):
            base = 0.97 if company == MS else 0.84
            dims = [min(1.0, base + 0.005 * a_index + 0.003 * d + 0.002 * p_index) for d in range(5)]
            mdq_rows.append((company, plant, as_of, *dims, sum(dims) / 5))
    con.executemany("insert into marts.plant_mdq values (?,?,?,?,?,?,?,?,?)", mdq_rows)

    initiatives = [
        # company, plant, initiative, wave, planned, annualised, spend, months
        (MS, "MS-01", "MS-I01", 1, 4_000_000.0, 3_900_000.0, 2_000_000.0, 18),
        (MS, "MS-01", "MS-I03", 3, 12_000_000.0, 11_250_000.0, 3_000_000.0, 9),
        (MS, "MS-02", "MS-I02", 2, 9_000_000.0, 6_400_000.0, 4_500_000.0, 12),
        (GT, "GT-01", "GT-I01", 2, 15_000_000.0, 0.0, 9_000_000.0, 0),
        (GT, "GT-01", "GT-I02", 3, 10_000_000.0, None, 7_500_000.0, 0),
        (GT, "GT-02", "GT-I03", 1, 6_000_000.0, 2_100_000.0, 5_000_000.0, 4),
    ]
    con.executemany(
        "insert into marts.benefit_realisation values (?,?,?,?,?,?,?,?,?)",
        [(c, p, i, w, pl, an, (an / pl if an is not None else None), sp, m) for c, p, i, w, pl, an, sp, m in initiatives],
    )
    con.executemany(
        "insert into marts.initiative_hygiene values (?,?,?,?,?,?,?)",
        [
            (MS, "MS-I01", False, False, False, False, False),
            (MS, "MS-I02", False, False, False, False, False),
            (MS, "MS-I03", False, False, True, False, False),
            (GT, "GT-I01", True, True, True, True, True),
            (GT, "GT-I02", False, True, True, True, True),
            (GT, "GT-I03", True, False, False, False, True),
        ],
    )

    readiness, criteria = [], []
    for plant, company in PLANTS.items():
        for a_index, as_of in enumerate(AS_OFS):
            if company == MS:
                wave = 3 if (plant == "MS-01" and a_index >= 2) else 2
                ready = plant == "MS-01" and a_index == 3
            else:
                wave, ready = 1, False
            readiness.append((company, plant, as_of, wave, wave + 1, ready))
            mdq = next(r[-1] for r in mdq_rows if r[1] == plant and r[2] == as_of)
            gate = "1->2"
            criteria += [
                (company, plant, as_of, gate, "mdq_score", mdq, 0.95, mdq >= 0.95),
                (company, plant, as_of, gate, "completeness", 0.985 if company == MS else 0.99, 0.98, True),
                (company, plant, as_of, gate, "mes_line_coverage", 0.9, 0.8, True),
                (company, plant, as_of, gate, "reason_coverage", 0.93, 0.90, True),
            ]
    con.executemany("insert into marts.plant_readiness values (?,?,?,?,?,?)", readiness)
    con.executemany("insert into marts.readiness_criteria values (?,?,?,?,?,?,?,?)", criteria)

    con.executemany(
        "insert into marts.pilot_purgatory values (?,?,?,?,?,?,?,?,?,?)",
        [
            (GT, "GT-01", "GT-PIL-07", "GT-I01", XSS_NAME, "AI quality", 3,
             dt.date(2023, 2, 1), dt.date(2023, 8, 1), 793),
            (GT, "GT-02", "GT-PIL-11", "GT-I03", UNICODE_NAME, "predictive maintenance", 2,
             dt.date(2023, 6, 15), dt.date(2024, 1, 15), 627),
            (MS, "MS-02", "MS-PIL-04", "MS-I02", "Downtime dashboards, line 4", "MES", 2,
             dt.date(2024, 9, 1), dt.date(2025, 3, 1), 215),
        ],
    )

    loads = [
        ("L1", "erp-midstate", "materials", 1200, 1180, 20),
        ("L2", "erp-globaltech", "materials", 5400, 5127, 273),
        ("L3", "mes-globaltech", "machine_states", 88000, 87912, 88),
        ("L4", "pilots", "pilots", 64, 64, 0),
    ]
    con.executemany(
        "insert into audit.load_log values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [(lid, "R1", src, src, ent, dt.date(2025, 12, 31), f"{ent}.csv", lid * 8, r, lo, q, "loaded", None,
          dt.datetime(2026, 1, 1, 2, 0)) for lid, src, ent, r, lo, q in loads],
    )
    reasons = {"L1": [("bad_date", 12), ("null_required", 8)], "L2": [("bad_number", 200), ("duplicate_key", 73)],
               "L3": [("bad_timestamp", 88)]}
    quarantine = []
    for lid, src, ent, *_ in loads:
        for reason, n in reasons.get(lid, []):
            quarantine += [(lid, src, ent, f"{ent}.csv", i, "x", "?", reason) for i in range(n)]
    con.executemany("insert into audit.quarantine values (?,?,?,?,?,?,?,?)", quarantine)
    con.close()
    return path
