"""Readiness gates: the one YAML file of gates (`config/gates.yaml`), its validation and the dbt vars it becomes.
The `opsready gate` / `opsready backfill` commands are in opsready/gate_commands.py.

How config reaches dbt: `dbt_vars()` loads and validates the YAML and returns `{"readiness_gates": [...]}` (one
flat list of criteria) plus, for a backfill, `{"readiness_dates": [...]}`. The Dagster dbt asset passes them with
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

from opsready import paths

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
COMPARATORS = (">=", ">", "<=", "<", "=")
GATE_KEYS = {"from", "to", "name", "criteria"}
CRITERION_KEYS = {"criterion", "metric", "comparator", "threshold", "window_days"}
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class GateConfigError(ValueError):
    """The gates file is invalid; the message names the file and the offending key."""


def gates_file() -> Path:
    return Path(os.environ.get("OPSREADY_GATES") or paths.project_root() / "config" / "gates.yaml")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def load_gates(path: Path | str | None = None) -> list[dict[str, Any]]:
    """Read and validate the gates file. Returns one flat list of criteria, each a dict with gate_from, gate_to,
    gate (e.g. '1->2'), gate_name, criterion, metric, comparator, threshold, window_days and the metric's extra
    keys (defaults filled in). Raises GateConfigError naming the key on any problem."""
    path = Path(path) if path else gates_file()
    where = str(path)
    try:
        doc = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise GateConfigError(f"{where}: gates file not found (set OPSREADY_GATES or create config/gates.yaml)")
    except yaml.YAMLError as exc:
        raise GateConfigError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("gates"), list) or not doc["gates"]:
        raise GateConfigError(f"{where}: key 'gates' must be a non-empty list of gates")
    unknown = set(doc) - {"version", "gates"}
    if unknown:
        raise GateConfigError(f"{where}: unknown top-level key(s) {sorted(unknown)}; expected 'version', 'gates'")
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
            unknown = set(crit) - CRITERION_KEYS - set(extras)
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
            item = {
                "gate_from": gate["from"], "gate_to": gate["to"], "gate": f"{gate['from']}->{gate['to']}",
                "gate_name": str(gate.get("name") or f"{gate['from']}->{gate['to']}"),
                "criterion": name, "metric": metric, "comparator": crit["comparator"],
                "threshold": float(crit["threshold"]), "window_days": window,
            }
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
    out: dict[str, Any] = {"readiness_gates": load_gates(path)}
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
