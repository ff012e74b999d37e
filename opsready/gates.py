"""Readiness gates: the one YAML file of gates (`config/gates.yaml`), its validation and the dbt vars it becomes.
The `opsready gate` / `opsready backfill` commands are in opsready/gate_commands.py.

How config reaches dbt: `dbt_vars()` loads and validates the YAML and returns `{"readiness_gates": [...]}` (one
flat list of criteria, with their labels and units: `marts.gate_definitions` is generated from it),
`{"readiness_forecast": {...}}` (the trend and forecast settings of `marts.gate_gap`) plus, for a backfill,
`{"readiness_dates": [...]}`. The Dagster dbt asset passes them with
`--vars` on every build; `python -m opsready.gates vars` prints them for a bare `dbt build --vars "$(...)"`.
The criteria are evaluated in `dbt_project/models/intermediate/int_readiness_metric_values.sql` (metric
definitions) and `dbt_project/models/marts/readiness_criteria.sql` (verdicts).

`OPSREADY_GATES` names another gates file (default: `config/gates.yaml` in the project).
"""

from __future__ import annotations

import calendar
import json
import os
import re
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from opsready import connect, paths

# The metrics int_readiness_metric_values.sql computes, with the extra keys each one needs (and their defaults).
METRICS: dict[str, dict[str, Any]] = {
    "mdq_score": {},
    "mdq_completeness": {},
    "mes_line_coverage": {"min_day_share": 0.95},
    "oee_line_coverage": {"min_day_share": 0.90},
    "reason_coverage": {},
    "pdm_pilots_with_benefit": {"min_benefit_months": 3, "technologies": ["predictive maintenance"]},
    "pilot_to_scale_rate": {},
    "wave_realisation": {"waves": [2, 3]},
    "open_wishlist_initiatives": {},
}
# The units a criterion's value is printed in, and which of them fit each metric (a share cannot be in dollars).
UNITS = ("share", "count", "usd", "ratio", "days")
FRACTION_UNITS = ("share", "ratio")
METRIC_UNITS: dict[str, tuple[str, ...]] = {
    "mdq_score": FRACTION_UNITS, "mdq_completeness": FRACTION_UNITS, "mes_line_coverage": FRACTION_UNITS,
    "oee_line_coverage": FRACTION_UNITS, "reason_coverage": FRACTION_UNITS, "pdm_pilots_with_benefit": ("count",),
    "pilot_to_scale_rate": FRACTION_UNITS, "wave_realisation": FRACTION_UNITS, "open_wishlist_initiatives": ("count",),
}
COMPARATORS = (">=", ">", "<=", "<", "=")
TOP_KEYS = {"version", "forecast", "gates"}
GATE_KEYS = {"from", "to", "name", "criteria"}
CRITERION_KEYS = {"criterion", "label", "unit", "metric", "comparator", "threshold", "window_days"}
OPTIONAL_CRITERION_KEYS = {"description"}
# marts.gate_gap's trend and forecast (the method is described in config/gates.yaml), with their defaults
FORECAST_DEFAULTS = {"trend_window_days": 90, "min_points": 2, "horizon_days": 1095}
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class GateConfigError(ValueError):
    """The gates file is invalid; the message names the file and the offending key."""


def gates_file() -> Path:
    return Path(os.environ.get("OPSREADY_GATES") or paths.project_root() / "config" / "gates.yaml")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _read_doc(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise GateConfigError(f"{path}: gates file not found (set OPSREADY_GATES or create config/gates.yaml)") from None
    except yaml.YAMLError as exc:
        raise GateConfigError(f"{path}: not valid YAML: {exc}") from None


def load_gates(path: Path | str | None = None) -> list[dict[str, Any]]:
    """Read and validate the gates file. Returns one flat list of criteria, each a dict with gate_from, gate_to,
    gate (e.g. '1->2'), gate_name, criterion, metric, comparator, threshold, window_days and the metric's extra
    keys (defaults filled in). Raises GateConfigError naming the key on any problem."""
    path = Path(path) if path else gates_file()
    where = str(path)
    doc = _read_doc(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("gates"), list) or not doc["gates"]:
        raise GateConfigError(f"{where}: key 'gates' must be a non-empty list of gates")
    unknown = set(doc) - TOP_KEYS
    if unknown:
        raise GateConfigError(f"{where}: unknown top-level key(s) {sorted(unknown)}; expected one of {sorted(TOP_KEYS)}")
    out: list[dict[str, Any]] = []
    expected_from = 1
    for gi, gate in enumerate(doc["gates"]):
        at = f"{where}: gates[{gi}]"
        if not isinstance(gate, dict):
            raise GateConfigError(f"{at}: must be a mapping with keys {sorted(GATE_KEYS)}")
        for key in ("from", "to", "criteria"):
            if key not in gate:
                raise GateConfigError(f"{at}: missing key '{key}'")
        if set(gate) - GATE_KEYS:
            raise GateConfigError(f"{at}: unknown key(s) {sorted(set(gate) - GATE_KEYS)}")
        if gate["from"] != expected_from or gate["to"] != expected_from + 1:
            raise GateConfigError(f"{at}.from/to: gates must be 1->2, 2->3, 3->4 in order; got "
                                  f"{gate['from']!r}->{gate['to']!r}, expected {expected_from}->{expected_from + 1}")
        expected_from += 1
        if not isinstance(gate["criteria"], list) or not gate["criteria"]:
            raise GateConfigError(f"{at}.criteria: must be a non-empty list (a gate without criteria passes nothing)")
        seen: set[str] = set()
        for ci, crit in enumerate(gate["criteria"]):
            cat = f"{at}.criteria[{ci}]"
            if not isinstance(crit, dict):
                raise GateConfigError(f"{cat}: must be a mapping")
            for key in sorted(CRITERION_KEYS):
                if key not in crit:
                    raise GateConfigError(f"{cat}: missing key '{key}'")
            name, metric = crit["criterion"], crit["metric"]
            if not isinstance(name, str) or not NAME.match(name):
                raise GateConfigError(f"{cat}.criterion: {name!r} must be snake_case (a-z, 0-9, _)")
            if name in seen:
                raise GateConfigError(f"{cat}.criterion: {name!r} appears twice in this gate")
            seen.add(name)
            if metric not in METRICS:
                raise GateConfigError(f"{cat}.metric: unknown metric {metric!r}; known: {sorted(METRICS)}")
            extras = METRICS[metric]
            unknown = set(crit) - CRITERION_KEYS - OPTIONAL_CRITERION_KEYS - set(extras)
            if unknown:
                raise GateConfigError(f"{cat}: unknown key(s) {sorted(unknown)} for metric {metric!r}"
                                      f" (allowed extras: {sorted(extras) or 'none'})")
            if crit["comparator"] not in COMPARATORS:
                raise GateConfigError(f"{cat}.comparator: {crit['comparator']!r} is not one of {list(COMPARATORS)}")
            if not _number(crit["threshold"]):
                raise GateConfigError(f"{cat}.threshold: {crit['threshold']!r} is not a number")
            window = crit["window_days"]
            if not isinstance(window, int) or isinstance(window, bool) or window < 1:
                raise GateConfigError(f"{cat}.window_days: {window!r} must be a whole number of days >= 1")
            label, unit = _label_and_unit(cat, crit, metric)
            item = {
                "gate_from": gate["from"], "gate_to": gate["to"], "gate": f"{gate['from']}->{gate['to']}",
                "gate_name": str(gate.get("name") or f"{gate['from']}->{gate['to']}"),
                "criterion": name, "label": label, "unit": unit, "metric": metric, "comparator": crit["comparator"],
                "threshold": float(crit["threshold"]), "window_days": window,
            }
            item["description"] = _description(cat, crit, item)
            for key, default in extras.items():
                value = crit.get(key, default)
                if key in ("min_day_share",) and not (_number(value) and 0 <= value <= 1):
                    raise GateConfigError(f"{cat}.{key}: {value!r} must be a share in [0, 1]")
                if key == "min_benefit_months" and not (isinstance(value, int) and not isinstance(value, bool)
                                                        and value >= 0):
                    raise GateConfigError(f"{cat}.{key}: {value!r} must be a whole number >= 0")
                if key == "technologies" and not (isinstance(value, list) and value
                                                  and all(isinstance(t, str) and t.strip() for t in value)):
                    raise GateConfigError(f"{cat}.{key}: {value!r} must be a non-empty list of technology names")
                if key == "waves" and not (isinstance(value, list) and value
                                           and all(isinstance(w, int) and 1 <= w <= 4 for w in value)):
                    raise GateConfigError(f"{cat}.{key}: {value!r} must be a non-empty list of waves 1..4")
                item[key] = value
            out.append(item)
    if expected_from != 4:
        raise GateConfigError(f"{where}: gates: expected three gates (1->2, 2->3, 3->4), got {expected_from - 1}")
    return out


def _label_and_unit(at: str, crit: dict[str, Any], metric: str) -> tuple[str, str]:
    """The criterion's business label and print unit, validated (the unit must fit the metric)."""
    label, unit = crit["label"], crit["unit"]
    if not isinstance(label, str) or not label.strip():
        raise GateConfigError(f"{at}.label: {label!r} must be a non-empty text in business words, "
                              "e.g. 'Master-data quality score'")
    if unit not in UNITS:
        raise GateConfigError(f"{at}.unit: {unit!r} is not one of {list(UNITS)}")
    if unit not in METRIC_UNITS[metric]:
        raise GateConfigError(f"{at}.unit: {unit!r} does not fit metric {metric!r}; use one of "
                              f"{list(METRIC_UNITS[metric])}")
    return label.strip(), unit


def format_value(value: float, unit: str) -> str:
    """A value in its unit as the printed definitions show it: 0.95 share -> '95 %', 1 count -> '1'."""
    if unit in FRACTION_UNITS:
        return f"{value * 100:.4g} %"
    if unit == "usd":
        return f"${value:,.0f}"
    text = f"{value:.4g}"
    return f"{text} days" if unit == "days" else text


def _description(at: str, crit: dict[str, Any], item: dict[str, Any]) -> str:
    """The criterion's description from the file, or one sentence written from its label, comparator and window."""
    if "description" in crit:
        text = crit["description"]
        if not isinstance(text, str) or not text.strip():
            raise GateConfigError(f"{at}.description: {text!r} must be a non-empty text (or leave the key out)")
        return " ".join(text.split())
    return (f"{item['label']} {item['comparator']} {format_value(item['threshold'], item['unit'])} "
            f"over the last {item['window_days']} days.")


def load_forecast(path: Path | str | None = None) -> dict[str, int]:
    """The `forecast:` settings of the gates file (defaults filled in), validated; see FORECAST_DEFAULTS."""
    path = Path(path) if path else gates_file()
    doc = _read_doc(path)
    settings = (doc.get("forecast") if isinstance(doc, dict) else None) or {}
    at = f"{path}: forecast"
    if not isinstance(settings, dict):
        raise GateConfigError(f"{at}: must be a mapping with keys {sorted(FORECAST_DEFAULTS)}")
    unknown = set(settings) - set(FORECAST_DEFAULTS)
    if unknown:
        raise GateConfigError(f"{at}: unknown key(s) {sorted(unknown)}; expected {sorted(FORECAST_DEFAULTS)}")
    out = {**FORECAST_DEFAULTS, **settings}
    for key, value in out.items():
        least = 2 if key == "min_points" else 1
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise GateConfigError(f"{at}.{key}: {value!r} must be a whole number >= {least}")
    return out


def parse_date(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise GateConfigError(f"{what}: {text!r} is not a date YYYY-MM-DD") from None


def evaluation_dates(start: str, end: str, every: str = "month-end") -> list[str]:
    """The dates a backfill evaluates: month ends (or quarter ends, or days) from `start` to `end`, inclusive."""
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if last < first:
        raise GateConfigError(f"--to {end} is before --from {start}")
    out: list[date] = []
    if every == "day":
        d = first
        while d <= last:
            out.append(d)
            d += timedelta(days=1)
    elif every in ("month-end", "quarter-end"):
        y, m = first.year, first.month
        while True:
            d = date(y, m, calendar.monthrange(y, m)[1])
            if d > last:
                break
            if d >= first and (every == "month-end" or m % 3 == 0):
                out.append(d)
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    else:
        raise GateConfigError(f"--every: {every!r} is not one of month-end, quarter-end, day")
    return [d.isoformat() for d in out]


def dbt_vars(dates: list[str] | None = None, path: Path | str | None = None) -> dict[str, Any]:
    """The dbt vars that carry the gates (and optionally the evaluation dates) into dbt."""
    out: dict[str, Any] = {"readiness_gates": load_gates(path), "readiness_forecast": load_forecast(path)}
    if dates:
        out["readiness_dates"] = [parse_date(d, "readiness date").isoformat() for d in dates]
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m opsready.gates check [file]` validates; `python -m opsready.gates vars` prints the dbt vars."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("check", "vars"):
        print("usage: python -m opsready.gates check [FILE] | vars [FILE]", file=sys.stderr)
        return 2
    try:
        if argv[0] == "check":
            crits = load_gates(argv[1] if len(argv) > 1 else None)
            print(f"{argv[1] if len(argv) > 1 else gates_file()}: {len(crits)} criteria in 3 gates, valid")
        else:
            print(json.dumps(dbt_vars(path=argv[1] if len(argv) > 1 else None)))
    except GateConfigError as exc:
        print(f"opsready gates: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
