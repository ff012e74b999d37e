"""The marts a readiness report prints from: gate definitions straight from the gates file, and each plant's distance
to its gates with a least-squares trend and forecast, through real `dbt run`s on small DuckDB files.

gate_gap reads three relations: marts.plant_readiness (the plants' waves), marts.readiness_criteria (tonight's
criteria) and audit.readiness_history (the values over time). They are written here by hand, so the history is
exactly the one the expected fit below is computed from (by plain arithmetic in this file, not by the SQL under test).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml

from opsready.gates import dbt_vars
from tests.dbt_runner import dbt_build

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "config" / "gates.yaml"
D = date(2025, 12, 31)
TREND_WINDOW, HORIZON = 90, 1095  # config/gates.yaml forecast:


def _run(warehouse: Path, work: Path, model: str) -> None:
    proc = dbt_build(warehouse, work, [model], dbt_vars=dbt_vars(path=SHIPPED), command="run")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_gate_definitions_are_the_gates_file(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    duckdb.connect(str(warehouse)).close()
    _run(warehouse, tmp_path, "gate_definitions")
    raw = yaml.safe_load(SHIPPED.read_text())
    expected = [
        (f"{g['from']}->{g['to']}", g["from"], g["to"], g["name"], c["criterion"], c["label"], c["unit"], c["metric"],
         c["comparator"], float(c["threshold"]), c["window_days"], " ".join(c["description"].split()))
        for g in raw["gates"] for c in g["criteria"]]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        got = con.execute("select gate, from_wave, to_wave, gate_name, criterion, label, unit, metric, comparator, "
                          "threshold, window_days, description from marts.gate_definitions "
                          "order by criterion_order").fetchall()
    assert got == expected
    assert ("3->4", "decision_support_realisation") in {(g[0], g[4]) for g in got}


# Hand-built history of plant P1 (wave 1, so every gate is ahead of it) as of D. Values by days before D; the window
# of the trend is [D - 89, D]: the points at D - 90 and D - 120 must be left out of the fit.
HISTORY = {
    # criterion: (gate, comparator, threshold, unit, {days before D: value})
    "closing_share": ("1->2", ">=", 0.95, "share",
                      {120: 0.10, 90: 0.20, 89: 0.80, 61: 0.83, 30: 0.84, 9: 0.87, 0: 0.88}),
    "closing_count": ("3->4", "<=", 0.0, "count", {89: 5.0, 50: 4.0, 0: 3.0}),
    "moving_away": ("1->2", ">=", 0.90, "share", {60: 0.85, 30: 0.84, 0: 0.80}),
    "flat": ("2->3", ">=", 1.0, "count", {61: 0.0, 30: 0.0, 0: 0.0}),
    "too_slow": ("2->3", ">=", 0.85, "share", {89: 0.5000, 0: 0.5005}),
    "one_point": ("2->3", ">=", 0.85, "share", {120: 0.20, 0: 0.60}),
    "not_evaluated": ("3->4", ">=", 0.70, "ratio", {60: 0.5, 30: 0.6, 0: None}),
    "passing": ("1->2", ">=", 0.50, "share", {30: 0.6, 0: 0.7}),
}


def _write_inputs(con) -> None:
    con.execute("create schema marts; create schema audit")
    con.execute("create table marts.plant_readiness as select 'P1' as plant_id, 'Plant one' as plant_name, "
                "1 as current_wave, ?::date as as_of", [D])
    con.execute("""create table marts.readiness_criteria (company varchar, plant_id varchar, as_of date, gate varchar,
        gate_from integer, gate_to integer, criterion varchar, criterion_order integer, label varchar, unit varchar,
        comparator varchar, value double, threshold double, status varchar, status_reason varchar)""")
    con.execute("create table audit.readiness_history (plant_id varchar, as_of date, gate varchar, criterion varchar, "
                "value double)")
    for order, (name, (gate, comparator, threshold, unit, points)) in enumerate(HISTORY.items(), 1):
        tonight = points[0]
        status = ("not evaluated" if tonight is None else
                  "passed" if (tonight >= threshold if comparator == ">=" else tonight <= threshold) else "failed")
        con.execute("insert into marts.readiness_criteria values ('Acme', 'P1', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [D, gate, int(gate[0]), int(gate[-1]), name, order, name.replace("_", " "), unit, comparator,
                     tonight, threshold, status, "no data" if tonight is None else None])
        for days, value in points.items():
            con.execute("insert into audit.readiness_history values ('P1', ?, ?, ?, ?)",
                        [D - timedelta(days=days), gate, name, value])


def _least_squares_slope(points: dict[int, float | None], window: int = TREND_WINDOW) -> tuple[float | None, int]:
    """Slope per day of the values in the trailing window, by the textbook formula; (None, n) below two points."""
    xy = [(-days, v) for days, v in points.items() if days < window and v is not None]
    if len(xy) < 2:
        return None, len(xy)
    mx = sum(x for x, _ in xy) / len(xy)
    my = sum(y for _, y in xy) / len(xy)
    return sum((x - mx) * (y - my) for x, y in xy) / sum((x - mx) ** 2 for x, _ in xy), len(xy)


def _expected(name: str) -> tuple:
    gate, comparator, threshold, unit, points = HISTORY[name]
    value = points[0]
    slope, n = _least_squares_slope(points)
    if value is None or slope is None:
        return None if value is None else threshold - value, slope, n, None, "not evaluable"
    distance = threshold - value if comparator == ">=" else value - threshold
    closing = slope if comparator == ">=" else -slope
    if closing > 0 and math.ceil(distance / closing) <= HORIZON:
        day = D + timedelta(days=max(1, math.ceil(distance / closing)))
        return distance, slope, n, day, f"passes at this pace on {day.isoformat()}"
    return distance, slope, n, None, "not at this pace"


@pytest.fixture(scope="module")
def gap(tmp_path_factory):
    work = tmp_path_factory.mktemp("gate_gap")
    warehouse = work / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        _write_inputs(con)
    _run(warehouse, work, "gate_gap")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select criterion, plant_name, as_of, unit, value, threshold, distance, distance_share, "
                           "trend_per_day, history_points, forecast_pass_on, forecast_note from marts.gate_gap").fetchall()
    return {r[0]: r[1:] for r in rows}


def test_gate_gap_lists_every_criterion_not_passed(gap):
    assert sorted(gap) == sorted(name for name in HISTORY if name != "passing")
    assert {r[0] for r in gap.values()} == {"Plant one"} and {r[1] for r in gap.values()} == {D}


@pytest.mark.parametrize("name", [n for n in HISTORY if n != "passing"])
def test_gate_gap_forecast_equals_an_independent_least_squares_fit(gap, name):
    distance, slope, points, pass_on, note = _expected(name)
    _, _, unit, value, threshold, got_distance, share, got_slope, got_points, got_pass_on, got_note = gap[name]
    assert unit == HISTORY[name][3]
    assert got_points == points
    if slope is None:
        assert got_slope is None
    else:
        assert got_slope == pytest.approx(slope, rel=1e-9, abs=1e-12)
    if distance is None:
        assert got_distance is None and share is None
    else:
        assert got_distance == pytest.approx(distance)
        assert share == (pytest.approx(distance / threshold) if threshold else None)
    assert (got_pass_on, got_note) == (pass_on, note)


def test_the_hand_built_history_covers_every_forecast_outcome(gap):
    """The fixture is not degenerate: each outcome the mart can give occurs, and the window boundary matters."""
    notes = {name: row[-1] for name, row in gap.items()}
    assert notes["closing_share"].startswith("passes at this pace on ")
    assert notes["closing_count"].startswith("passes at this pace on ")
    assert notes["moving_away"] == notes["flat"] == notes["too_slow"] == "not at this pace"
    assert notes["one_point"] == notes["not_evaluated"] == "not evaluable"
    # the points before the window change the fit a lot, so a wrong window could not pass the test above
    everything, _ = _least_squares_slope(HISTORY["closing_share"][4], window=10_000)
    assert everything > 2 * _least_squares_slope(HISTORY["closing_share"][4])[0]
