"""config/gates.yaml: the shipped file is valid and says SPEC §5; invalid files fail with an error naming the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from opsready.gates import GateConfigError, dbt_vars, evaluation_dates, load_forecast, load_gates

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "config" / "gates.yaml"


def test_shipped_gates_are_spec_section_5():
    got = {(c["gate"], c["criterion"]): (c["metric"], c["comparator"], c["threshold"], c["window_days"])
           for c in load_gates(SHIPPED)}
    assert got == {
        ("1->2", "mdq_score"): ("mdq_score", ">=", 0.95, 92),
        ("1->2", "mdq_completeness"): ("mdq_completeness", ">=", 0.98, 92),
        ("1->2", "lines_with_mes_data"): ("mes_line_coverage", ">=", 0.80, 30),
        ("1->2", "reason_coverage"): ("reason_coverage", ">=", 0.90, 30),
        ("2->3", "lines_with_oee"): ("oee_line_coverage", ">=", 0.90, 90),
        ("2->3", "reason_coverage"): ("reason_coverage", ">=", 0.85, 90),
        ("2->3", "pdm_pilot_with_benefit"): ("pdm_pilots_with_benefit", ">=", 1.0, 1461),
        ("3->4", "pilot_to_scale_rate"): ("pilot_to_scale_rate", ">=", 0.40, 1461),
        ("3->4", "wave_2_3_realisation"): ("wave_realisation", ">=", 0.70, 365),
        ("3->4", "decision_support_realisation"): ("wave_realisation", ">=", 0.70, 365),
        ("3->4", "no_open_wishlist_initiative"): ("open_wishlist_initiatives", "<=", 0.0, 1461),
    }
    by_name = {c["criterion"]: c for c in load_gates(SHIPPED)}
    assert by_name["lines_with_mes_data"]["min_day_share"] == 0.95
    assert by_name["pdm_pilot_with_benefit"]["min_benefit_months"] == 3
    assert by_name["wave_2_3_realisation"]["waves"] == [2, 3]
    assert by_name["decision_support_realisation"]["waves"] == [3]


def _broken(tmp_path, mutate) -> Path:
    doc = yaml.safe_load(SHIPPED.read_text())
    mutate(doc)
    path = tmp_path / "gates.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["gates"][0]["criteria"][0].pop("threshold"), "gates[0].criteria[0]: missing key 'threshold'"),
    (lambda d: d["gates"][1]["criteria"][1].update(comparator="=>"), "gates[1].criteria[1].comparator: '=>'"),
    (lambda d: d["gates"][2]["criteria"][0].update(metric="oee"), "gates[2].criteria[0].metric: unknown metric 'oee'"),
    (lambda d: d["gates"][0]["criteria"][2].update(window_days=0), "gates[0].criteria[2].window_days: 0"),
    (lambda d: d["gates"][0]["criteria"][0].update(threshold="high"), "gates[0].criteria[0].threshold: 'high'"),
    (lambda d: d["gates"][0]["criteria"][2].update(min_day_share=95), "gates[0].criteria[2].min_day_share: 95"),
    (lambda d: d["gates"][0]["criteria"][0].update(waves=[2]), "gates[0].criteria[0]: unknown key(s) ['waves']"),
    (lambda d: d["gates"][1].update({"from": 3}), "gates[1].from/to"),
    (lambda d: d["gates"].pop(), "expected three gates"),
    (lambda d: d["gates"][0].update(criteria=[]), "gates[0].criteria: must be a non-empty list"),
    (lambda d: d.update(gate=1), "unknown top-level key(s) ['gate']"),
    (lambda d: d["gates"][0]["criteria"][0].pop("label"), "gates[0].criteria[0]: missing key 'label'"),
    (lambda d: d["gates"][2]["criteria"][3].pop("unit"), "gates[2].criteria[3]: missing key 'unit'"),
    (lambda d: d["gates"][1]["criteria"][0].update(label="  "), "gates[1].criteria[0].label: '  ' must be a non-empty"),
    (lambda d: d["gates"][0]["criteria"][1].update(unit="percent"),
     "gates[0].criteria[1].unit: 'percent' is not one of ['share', 'count', 'usd', 'ratio', 'days']"),
    (lambda d: d["gates"][0]["criteria"][0].update(unit="usd"),
     "gates[0].criteria[0].unit: 'usd' does not fit metric 'mdq_score'; use one of ['share', 'ratio']"),
    (lambda d: d["gates"][1]["criteria"][2].update(unit="share"),
     "gates[1].criteria[2].unit: 'share' does not fit metric 'pdm_pilots_with_benefit'; use one of ['count']"),
    (lambda d: d["gates"][2]["criteria"][1].update(description=""), "gates[2].criteria[1].description: ''"),
])
def test_invalid_config_names_the_key(tmp_path, mutate, message):
    with pytest.raises(GateConfigError) as err:
        load_gates(_broken(tmp_path, mutate))
    assert message in str(err.value)
    assert str(tmp_path / "gates.yaml") in str(err.value)


def test_every_shipped_criterion_has_a_label_and_a_unit():
    raw = yaml.safe_load(SHIPPED.read_text())
    criteria = [c for gate in raw["gates"] for c in gate["criteria"]]
    assert len(criteria) == 11
    by_name = {(c["gate"], c["criterion"]): c for c in load_gates(SHIPPED)}
    for gate, crit in ((f"{g['from']}->{g['to']}", c) for g in raw["gates"] for c in g["criteria"]):
        loaded = by_name[(gate, crit["criterion"])]
        assert loaded["label"] == crit["label"] and crit["label"].strip(), crit
        assert loaded["unit"] == crit["unit"] in ("share", "count", "usd", "ratio", "days"), crit
        assert loaded["description"] == " ".join(crit["description"].split()), crit
    units = {c["criterion"]: c["unit"] for c in criteria}
    assert units["pdm_pilot_with_benefit"] == units["no_open_wishlist_initiative"] == "count"
    assert units["mdq_score"] == "share" and units["decision_support_realisation"] == "ratio"


def test_a_criterion_without_description_gets_one_from_label_threshold_and_window(tmp_path):
    path = _broken(tmp_path, lambda d: d["gates"][0]["criteria"][0].pop("description"))
    first = load_gates(path)[0]
    assert first["description"] == "Master-data quality score >= 95 % over the last 92 days."


@pytest.mark.parametrize("forecast, message", [
    ({"trend_window_days": 0}, "forecast.trend_window_days: 0 must be a whole number >= 1"),
    ({"min_points": 1}, "forecast.min_points: 1 must be a whole number >= 2"),
    ({"horizon_days": "long"}, "forecast.horizon_days: 'long' must be a whole number >= 1"),
    ({"trend_days": 90}, "forecast: unknown key(s) ['trend_days']"),
])
def test_invalid_forecast_settings_name_the_key(tmp_path, forecast, message):
    path = _broken(tmp_path, lambda d: d.update(forecast=forecast))
    with pytest.raises(GateConfigError) as err:
        dbt_vars(path=path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_shipped_forecast_settings():
    assert load_forecast(SHIPPED) == {"trend_window_days": 90, "min_points": 2, "horizon_days": 1095}


def test_validation_command_exit_codes(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "opsready.gates", "check", str(SHIPPED)], capture_output=True, text=True)
    assert ok.returncode == 0 and "11 criteria in 3 gates, valid" in ok.stdout
    bad = _broken(tmp_path, lambda d: d["gates"][0]["criteria"][0].pop("metric"))
    out = subprocess.run([sys.executable, "-m", "opsready.gates", "check", str(bad)], capture_output=True, text=True)
    assert out.returncode == 2 and "missing key 'metric'" in out.stderr


def test_month_end_dates_and_vars():
    dates = evaluation_dates("2022-01-31", "2025-12-31")
    assert len(dates) == 48 and dates[:3] == ["2022-01-31", "2022-02-28", "2022-03-31"]
    assert "2024-02-29" in dates and dates[-1] == "2025-12-31"
    assert evaluation_dates("2022-01-15", "2022-12-31", "quarter-end") == [
        "2022-03-31", "2022-06-30", "2022-09-30", "2022-12-31"]
    with pytest.raises(GateConfigError, match="--to 2021-01-01 is before --from"):
        evaluation_dates("2022-01-01", "2021-01-01")
    v = dbt_vars(["2024-01-31"], path=SHIPPED)
    assert v["readiness_dates"] == ["2024-01-31"] and len(v["readiness_gates"]) == 11
    with pytest.raises(GateConfigError, match="'2024-13-01' is not a date"):
        dbt_vars(["2024-13-01"], path=SHIPPED)
