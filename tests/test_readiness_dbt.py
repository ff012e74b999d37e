"""Readiness gates on hand-written raw rows, through real `dbt build`s (two), plus `opsready gate` (as a process, and
in process).

Estate (company Acme, timezone UTC), evaluated on D = 2025-03-31. A gates file written here (same keys as
config/gates.yaml) keeps the hand arithmetic small:
  gate 1->2  lines_with_mes_data  mes_line_coverage >= 0.80, 30 days (2025-03-02 … 2025-03-31), min_day_share 0.95
             reason_coverage      reason_coverage  >= 0.90, 30 days
  gate 2->3  pdm_pilot_with_benefit  pdm_pilots_with_benefit >= 1, min_benefit_months 3
  gate 3->4  pilot_to_scale_rate  >= 0.50; wave_2_realisation >= 0.70 (waves [2], 365 days);
             no_open_wishlist_initiative  open_wishlist_initiatives <= 0

P1 (exactly at every threshold it meets):
  5 lines; L1-L4 have MES data on all 30 days, L5 on 28 of 30 (28/30 = 0.933 < 0.95) -> 4/5 = 0.80 >= 0.80 PASS.
  Unplanned downtime in the window: 900 s with catalogued reason R1 + 100 s with uncatalogued XX -> 900/1000 = 0.90 PASS.
  PdM pilot pdm1 on the bottleneck P1-L1 (started 2024-12-01) with benefit months 2024-12, 2025-01, 2025-02 -> 1 PASS.
  Pilots at P1: pdm1 scaled 2025-02-01, pdm1b stopped 2025-01-15, w1 running -> 1 scaled / 2 concluded = 0.50 PASS.
  Realisation: I-PDM (wave 2, planned 240,000) reached P1 and P2 -> 120,000 each; P1's benefit months each
    (10 - 8) * 1,000 * 14 = 28,000, three in the window -> 84,000 / 120,000 = 0.70 PASS.
  Wishlist initiative I-WISH (exit criteria missing) has pilot w1 running at P1 -> 1 vs <= 0 FAIL.
  => current wave 3, not ready, blocked at 3->4 by no_open_wishlist_initiative.
P2 (just below):
  5 lines; L1-L3 all 30 days, L4 29/30 = 0.967 (qualifies), L5 28/30 -> 4/5 = 0.80 PASS.
  Downtime 899 s catalogued + 101 s not -> 0.899 < 0.90 FAIL.  => wave 1.
  PdM pilot pdm2 on P2-L1 (bottleneck) with benefit months 2025-01, 2025-02 (2025-04 is after D) -> 0 < 1 FAIL.
P3 (no data): 2 lines, no MES rows -> lines_with_mes_data and reason_coverage not evaluated, not passed. Wave 1.

Second build, config changed (reason_coverage >= 0.899, wishlist <= 1) on dates 2025-02-28 and 2025-03-31:
  P1 becomes ready (wave 4); P2 passes gate 1->2 (0.899 >= 0.899) and stops at 2->3 (wave 2); history keeps one
  row per plant × date × gate × criterion (2025-03-31 replaced, not duplicated).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml

from ingest.warehouse import ensure_warehouse
from opsready.gates import dbt_vars
from tests.conftest import opsready_in_process
from tests.dbt_runner import dbt_build

REPO = Path(__file__).resolve().parent.parent
OPSREADY = Path(sys.executable).parent / "opsready"
D = date(2025, 3, 31)
WINDOW = [D - timedelta(days=i) for i in range(30)]  # 2025-03-02 … 2025-03-31

GATES = {
    "version": 1,
    "gates": [
        {"from": 1, "to": 2, "criteria": [
            {"criterion": "lines_with_mes_data", "label": "Lines with MES data", "unit": "share",
             "metric": "mes_line_coverage", "comparator": ">=",
             "threshold": 0.80, "window_days": 30, "min_day_share": 0.95},
            {"criterion": "reason_coverage", "label": "Downtime with a reason code", "unit": "share",
             "metric": "reason_coverage", "comparator": ">=",
             "threshold": 0.90, "window_days": 30}]},
        {"from": 2, "to": 3, "criteria": [
            {"criterion": "pdm_pilot_with_benefit", "label": "PdM pilots with benefit", "unit": "count",
             "metric": "pdm_pilots_with_benefit", "comparator": ">=",
             "threshold": 1, "window_days": 1461, "min_benefit_months": 3}]},
        {"from": 3, "to": 4, "criteria": [
            {"criterion": "pilot_to_scale_rate", "label": "Pilot-to-scale rate", "unit": "share",
             "metric": "pilot_to_scale_rate", "comparator": ">=",
             "threshold": 0.50, "window_days": 1461},
            {"criterion": "wave_2_realisation", "label": "Benefit realised, wave 2", "unit": "ratio",
             "metric": "wave_realisation", "comparator": ">=",
             "threshold": 0.70, "window_days": 365, "waves": [2]},
            {"criterion": "no_open_wishlist_initiative", "label": "Open wishlist initiatives", "unit": "count",
             "metric": "open_wishlist_initiatives",
             "comparator": "<=", "threshold": 0, "window_days": 1461}]},
    ],
}


def _insert(con, table: str, source: str, rows: list[dict], extract_date: str = "2025-03-31") -> None:
    for i, row in enumerate(rows, 1):
        cols = list(row) + ["_source", "_extract_date", "_file", "_row", "_load_id"]
        values = list(row.values()) + [source, extract_date, f"{source}/{extract_date}/{table}", i, f"L-{table}"]
        con.execute(f"insert into raw.{table} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})", values)


def _running_day(plant: str, wc: str, day: date) -> dict:
    start = datetime(day.year, day.month, day.day, 8)
    return dict(plant_id=plant, work_center_id=wc, started_at=start, ended_at=start + timedelta(hours=8),
                state="RUNNING", reason_code=None)


def _stop(plant: str, wc: str, start: datetime, seconds: int, reason: str) -> dict:
    return dict(plant_id=plant, work_center_id=wc, started_at=start, ended_at=start + timedelta(seconds=seconds),
                state="UNPLANNED_STOP", reason_code=reason)


def _write_estate(con) -> None:
    ensure_warehouse(con)
    _insert(con, "plants", "erp-acme", [
        dict(plant_id=p, plant_name=p, company="Acme", country="US", timezone="UTC") for p in ("P1", "P2", "P3")])
    wcs = []
    for plant, n_lines in (("P1", 5), ("P2", 5), ("P3", 2)):
        for n in range(1, n_lines + 1):
            wcs.append(dict(work_center_id=f"{plant}-L{n}", plant_id=plant, line_id=f"{plant}-L{n}",
                            description=f"line {n}", is_bottleneck=(n == 1), ideal_cycle_time_s=30.0,
                            criticality="A" if n == 1 else "B"))
    _insert(con, "work_centers", "erp-acme", wcs)
    _insert(con, "reason_codes", "mes-acme", [
        dict(plant_id=p, reason_code="R1", category="mechanical", description="jam") for p in ("P1", "P2", "P3")])
    days_per_line = {"P1": [30, 30, 30, 30, 28], "P2": [30, 30, 30, 29, 28]}
    states = []
    for plant, counts in days_per_line.items():
        for n, days in enumerate(counts, 1):
            states += [_running_day(plant, f"{plant}-L{n}", day) for day in WINDOW[:days]]
    stop_at = datetime(2025, 3, 20, 16)
    states += [_stop("P1", "P1-L1", stop_at, 900, "R1"), _stop("P1", "P1-L1", stop_at + timedelta(seconds=900), 100, "XX"),
               _stop("P2", "P2-L1", stop_at, 899, "R1"), _stop("P2", "P2-L1", stop_at + timedelta(seconds=899), 101, "XX")]
    _insert(con, "machine_states", "mes-acme", states)

    answers = dict(capability_enabled="c", outcome_kpi="k", outcome_target="t", dependencies="d", exit_criteria="e")
    _insert(con, "initiatives", "pilots", [
        dict(initiative_id="I-PDM", company="Acme", name="PdM", technology="predictive maintenance", wave=2,
             license_budget=100.0, change_budget=200.0, total_budget=300.0, planned_annual_benefit=240_000.0,
             **answers),
        dict(initiative_id="I-WISH", company="Acme", name="Wish", technology="digital twin", wave=3,
             license_budget=100.0, change_budget=200.0, total_budget=300.0, planned_annual_benefit=50_000.0,
             **{**answers, "exit_criteria": None})])
    _insert(con, "pilots", "pilots", [
        dict(pilot_id="pdm1", initiative_id="I-PDM", plant_id="P1", pilot_name="a", scope="line",
             work_center_id="P1-L1", started_on="2024-12-01", planned_end_on="2025-06-30"),
        dict(pilot_id="pdm1b", initiative_id="I-PDM", plant_id="P1", pilot_name="b", scope="line",
             work_center_id="P1-L2", started_on="2024-11-01", planned_end_on="2025-06-30"),
        dict(pilot_id="w1", initiative_id="I-WISH", plant_id="P1", pilot_name="c", scope="line",
             work_center_id="P1-L3", started_on="2025-01-01", planned_end_on="2025-12-31"),
        dict(pilot_id="pdm2", initiative_id="I-PDM", plant_id="P2", pilot_name="d", scope="line",
             work_center_id="P2-L1", started_on="2024-12-01", planned_end_on="2025-12-31")])
    _insert(con, "pilot_status_log", "pilots", [
        dict(pilot_id="pdm1", status_on="2024-12-01", status="running", note=None),
        dict(pilot_id="pdm1", status_on="2025-02-01", status="scaled", note=None),
        dict(pilot_id="pdm1b", status_on="2024-11-01", status="running", note=None),
        dict(pilot_id="pdm1b", status_on="2025-01-15", status="stopped", note=None),
        dict(pilot_id="w1", status_on="2025-01-01", status="running", note=None),
        dict(pilot_id="pdm2", status_on="2024-12-01", status="running", note=None)])
    month = dict(initiative_id="I-PDM", kpi="downtime", direction="lower_is_better", baseline_value=10.0,
                 measured_value=8.0, value_per_unit=1000.0, volume=14.0)
    _insert(con, "benefit_log", "pilots", [
        {**month, "plant_id": "P1", "month": "2024-12-01"}, {**month, "plant_id": "P1", "month": "2025-01-01"},
        {**month, "plant_id": "P1", "month": "2025-02-01"},
        {**month, "plant_id": "P2", "month": "2025-01-01"}, {**month, "plant_id": "P2", "month": "2025-02-01"},
        {**month, "plant_id": "P2", "month": "2025-04-01"}])


def _dbt_build(warehouse: Path, work: Path, gates_file: Path, dates: list[str]) -> None:
    proc = dbt_build(warehouse, work,
                     ["int_readiness_line_days+", "int_readiness_metric_values+", "+readiness_timeline"],
                     exclude=["initiative_hygiene", "nightly_snapshot", "nightly_changes", "resource_type:unit_test"],
                     dbt_vars=dbt_vars(dates, path=gates_file), timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Two real dbt builds on one warehouse; returns (warehouse, snapshot after build 1, root for the CLI)."""
    work = tmp_path_factory.mktemp("readiness")
    warehouse = work / "opsready.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        _write_estate(con)
    gates = work / "gates.yaml"
    gates.write_text(yaml.safe_dump(GATES))
    _dbt_build(warehouse, work, gates, [D.isoformat()])
    first = work / "after_first.duckdb"
    shutil.copy(warehouse, first)

    changed = json.loads(json.dumps(GATES))
    changed["gates"][0]["criteria"][1]["threshold"] = 0.899
    changed["gates"][2]["criteria"][2]["threshold"] = 1
    gates.write_text(yaml.safe_dump(changed))
    _dbt_build(warehouse, work, gates, ["2025-02-28", D.isoformat()])
    return warehouse, first, work


def _criteria(db: Path, as_of: date = D) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select plant_id, criterion, value, threshold, passed, not_evaluated_reason "
                           "from marts.readiness_criteria where as_of = ?", [as_of]).fetchall()
    return {(p, c): (v, t, ok, why) for p, c, v, t, ok, why in rows}


def _waves(db: Path, as_of: date = D) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        return {p: (w, r, f) for p, w, r, f in con.execute(
            "select plant_id, current_wave, ready, failing_criteria from marts.plant_readiness where as_of = ?",
            [as_of]).fetchall()}


def test_exactly_at_threshold_passes(built):
    c = _criteria(built[1])
    assert c[("P1", "lines_with_mes_data")][:3] == (0.80, 0.80, True)
    assert c[("P1", "reason_coverage")][:3] == (0.90, 0.90, True)
    assert c[("P1", "pdm_pilot_with_benefit")][:3] == (1.0, 1.0, True)
    assert c[("P1", "pilot_to_scale_rate")][:3] == (0.5, 0.5, True)
    assert c[("P1", "wave_2_realisation")][0] == pytest.approx(84_000 / 120_000, abs=1e-12)
    assert c[("P1", "wave_2_realisation")][2] is True
    assert c[("P1", "no_open_wishlist_initiative")][:3] == (1.0, 0.0, False)
    wave, ready, failing = _waves(built[1])["P1"]
    assert (wave, ready) == (3, False)
    assert failing == "no_open_wishlist_initiative: 1.0 vs <= 0.0"


def test_just_below_threshold_fails(built):
    c = _criteria(built[1])
    assert c[("P2", "reason_coverage")][0] == pytest.approx(0.899, abs=1e-12)
    assert c[("P2", "reason_coverage")][2] is False
    # L4 on 29 of 30 days qualifies, L5 on 28 does not: still 4 of 5 lines
    assert c[("P2", "lines_with_mes_data")][:3] == (0.80, 0.80, True)
    # two measured months by D (the 2025-04 month is after D): not enough
    assert c[("P2", "pdm_pilot_with_benefit")][:3] == (0.0, 1.0, False)
    assert _waves(built[1])["P2"][:2] == (1, False)


def test_criterion_without_data_is_not_passed_and_says_why(built):
    c = _criteria(built[1])
    assert c[("P3", "lines_with_mes_data")] == (None, 0.80, False, "no MES data in the window")
    assert c[("P3", "reason_coverage")] == (None, 0.90, False, "no MES data in the window")
    assert c[("P3", "pilot_to_scale_rate")] == (None, 0.50, False, "no concluded pilot at the plant in the window")
    wave, ready, failing = _waves(built[1])["P3"]
    assert (wave, ready) == (1, False)
    assert failing == ("lines_with_mes_data: not evaluated (no MES data in the window); "
                       "reason_coverage: not evaluated (no MES data in the window)")


def test_status_labels_and_plant_verdicts(built):
    """Status and label per criterion; verdict and blocked_by (labels of the next gate's criteria not passed) per
    plant. Initiatives reached by D: P1 runs I-PDM (wave 2) and I-WISH (wave 3, pilot w1), P2 I-PDM, P3 none."""
    with duckdb.connect(str(built[1]), read_only=True) as con:
        status = {(p, c): (s, r, label, unit) for p, c, s, r, label, unit in con.execute(
            "select plant_id, criterion, status, status_reason, label, unit from marts.readiness_criteria "
            "where as_of = ?", [D]).fetchall()}
        verdicts = {p: rest for p, *rest in con.execute(
            "select plant_id, current_wave, started_wave, verdict, blocked_by from marts.plant_readiness "
            "where as_of = ?", [D]).fetchall()}
    assert status[("P3", "lines_with_mes_data")] == ("not evaluated", "no MES data in the window",
                                                     "Lines with MES data", "share")
    assert status[("P2", "reason_coverage")] == ("failed", None, "Downtime with a reason code", "share")
    assert status[("P1", "pdm_pilot_with_benefit")] == ("passed", None, "PdM pilots with benefit", "count")
    assert verdicts == {
        "P1": [3, 3, "blocked", "Open wishlist initiatives"],
        "P2": [1, 2, "blocked", "Downtime with a reason code"],
        "P3": [1, 1, "blocked", "Lines with MES data, Downtime with a reason code"],
    }
    with duckdb.connect(str(built[0]), read_only=True) as con:
        after = {p: rest for p, *rest in con.execute(
            "select plant_id, current_wave, verdict, blocked_by from marts.plant_readiness where as_of = ?",
            [D]).fetchall()}
    assert after["P1"] == [4, "at top wave", None]
    assert after["P2"] == [2, "blocked", "PdM pilots with benefit"]


def test_changed_threshold_in_config_flips_the_verdict(built):
    before, after = _waves(built[1]), _waves(built[0])
    assert before["P1"][:2] == (3, False) and after["P1"][:2] == (4, True)
    assert before["P2"][0] == 1 and after["P2"][0] == 2
    assert _criteria(built[0])[("P2", "reason_coverage")][1:3] == (0.899, True)


def test_history_replaces_a_night_and_keeps_the_others(built):
    with duckdb.connect(str(built[0]), read_only=True) as con:
        total, distinct_keys = con.execute(
            "select count(*), count(distinct (plant_id, as_of, gate, criterion)) from audit.readiness_history"
        ).fetchone()
        per_date = dict(con.execute("select as_of, count(*) from audit.readiness_history group by 1").fetchall())
        wish = con.execute("select threshold, passed from audit.readiness_history where plant_id = 'P1' "
                           "and as_of = ? and criterion = 'no_open_wishlist_initiative'", [D]).fetchall()
        timeline = con.execute("select as_of, current_wave, wave_change from marts.readiness_timeline "
                               "where plant_id = 'P1' order by as_of").fetchall()
    # 3 plants × 6 criteria × 2 dates, the re-run night replaced (new threshold), not duplicated
    assert (total, distinct_keys) == (36, 36)
    assert per_date == {date(2025, 2, 28): 18, D: 18}
    assert wish == [(1.0, True)]
    # On 2025-02-28 P1 has no MES data in its window (it starts 2025-03-02): wave 1; on D wave 4
    assert timeline == [(date(2025, 2, 28), 1, None), (D, 4, "advanced")]


def _gate(root: Path, *args: str, process: bool = False) -> subprocess.CompletedProcess:
    """`opsready gate ARGS` on the data root `root`: as the installed command in a process of its own (`process`), or
    through the same entry in this process (tests/conftest.py: the exit status and output a process gives)."""
    env = {"OPSREADY_DATA": str(root), "DAGSTER_HOME": str(root / "dagster"), "OPSREADY_WAREHOUSE": None}
    if not process:
        return opsready_in_process("gate", *args, env=env)
    return subprocess.run([str(OPSREADY), "gate", *args], capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in {**os.environ, **env}.items() if v is not None})


def test_gate_cli_exit_codes(built, tmp_path):
    root = tmp_path / "data"
    assert _gate(root, "--plant", "P1").returncode == 2  # nothing published yet
    (root / "warehouse").mkdir(parents=True)
    shutil.copy(built[0], root / "warehouse" / "opsready.duckdb")

    ready = _gate(root, "--plant", "P1", process=True)  # the command a scheduler runs, its exit status
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert "[PASS] gate 1->2 reason_coverage: 0.9 vs >= 0.899" in ready.stdout

    blocked = _gate(root, "--plant", "P2", process=True)
    assert blocked.returncode == 1
    assert "[FAIL] gate 2->3 pdm_pilot_with_benefit: 0 vs >= 1" in blocked.stdout
    assert "NOT READY for wave 3" in blocked.stdout
    assert _gate(root, "--plant", "P2", "--wave", "2").returncode == 0  # cleared for wave 2

    earlier = _gate(root, "--plant", "P1", "--as-of", "2025-02-28", "--json")
    assert earlier.returncode == 1
    verdict = json.loads(earlier.stdout)
    assert (verdict["current_wave"], verdict["as_of"]) == (1, "2025-02-28")

    unknown = _gate(root, "--plant", "NOPE")
    assert unknown.returncode == 2 and "unknown plant 'NOPE'" in unknown.stderr
    missing = _gate(root, "--plant", "P1", "--as-of", "2024-06-30")
    assert missing.returncode == 2 and "not evaluated on 2024-06-30" in missing.stderr
    # the evaluated dates are 2025-02-28 and D (test above): none before 2024-06-30, one either side of 2025-03-15
    assert "(nearest evaluated dates: after 2025-02-28)" in missing.stderr, missing.stderr
    between = _gate(root, "--plant", "P1", "--as-of", "2025-03-15")
    assert f"(nearest evaluated dates: before 2025-02-28, after {D})" in between.stderr, between.stderr
