"""Readiness gates: the one YAML file of gates (`config/gates.yaml`), its validation, the dbt vars it becomes,
and the `opsready gate` / `opsready backfill` commands.

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


def date_problem(text: str) -> str | None:
    """Why `text` is not a date YYYY-MM-DD (Python's reason), or None when it is one: the readiness date of a run,
    refused alike by `opsready run --as-of` and by the dbt step of a run launched from Dagster's UI."""
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        return f"{exc} (expected YYYY-MM-DD)"
    return None


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


# ---------------------------------------------------------------------------------------------------- CLI commands


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def read_verdict(db: Path, plant: str, as_of: str | None) -> dict[str, Any]:
    """The plant's verdict on `as_of` (default: the latest date the plant was evaluated), read-only from the
    published warehouse's audit.readiness_history. Raises GateConfigError with a clear message when it can't."""
    import duckdb

    if not db.exists():
        raise GateConfigError(f"no published warehouse at {db}; run `opsready run` first")
    with duckdb.connect(str(db), read_only=True) as con:
        has = con.execute("select count(*) from information_schema.tables "
                          "where table_schema = 'audit' and table_name = 'readiness_history'").fetchone()[0]
        if not has:
            raise GateConfigError(f"{db} has no audit.readiness_history; run `opsready run` first")
        known = [r[0] for r in con.execute(
            "select distinct plant_id from audit.readiness_history order by 1").fetchall()]
        if plant not in known:
            raise GateConfigError(f"unknown plant {plant!r}; plants evaluated: {', '.join(known) or 'none'}")
        if as_of is None:
            day = con.execute("select max(as_of) from audit.readiness_history where plant_id = ?", [plant]).fetchone()[0]
        else:
            day = parse_date(as_of, "--as-of")
            found = con.execute("select count(*) from audit.readiness_history where plant_id = ? and as_of = ?",
                                [plant, day]).fetchone()[0]
            if not found:
                before, after = con.execute(
                    "select max(as_of) filter (where as_of < ?), min(as_of) filter (where as_of > ?) "
                    "from audit.readiness_history where plant_id = ?", [day, day, plant]).fetchone()
                nearest = [f"{side} {found_day}" for side, found_day in (("before", before), ("after", after))
                           if found_day is not None]
                raise GateConfigError(
                    f"plant {plant} was not evaluated on {day} (nearest evaluated dates: "
                    f"{', '.join(nearest) or 'none'}); evaluate it with `opsready backfill --dates {day}`")
        rows = con.execute(
            "select company, gate, gate_from, gate_to, criterion, metric, value, comparator, threshold, window_days, "
            "passed, not_evaluated_reason, detail, current_wave, next_wave, ready, evaluated_at "
            "from audit.readiness_history where plant_id = ? and as_of = ? order by gate_from, criterion_order",
            [plant, day]).fetchall()
    first = rows[0]
    return {
        "plant_id": plant, "company": first[0], "as_of": str(day), "current_wave": first[13],
        "next_wave": first[14], "ready": bool(first[15]), "evaluated_at": str(first[16]),
        "criteria": [
            {"gate": r[1], "gate_from": r[2], "gate_to": r[3], "criterion": r[4], "metric": r[5], "value": r[6],
             "comparator": r[7], "threshold": r[8], "window_days": r[9], "passed": bool(r[10]),
             "not_evaluated_reason": r[11], "detail": r[12]}
            for r in rows
        ],
    }


def cmd_gate(args) -> int:
    """Exit 0 ready, 1 not ready, 2 error. Ready = nothing blocks the plant (every gate passed in order), or with
    --wave N: the plant is cleared for wave N (it passes every gate up to N)."""
    try:
        verdict = read_verdict(paths.published_warehouse(), args.plant, args.as_of)
    except GateConfigError as exc:
        print(f"opsready gate: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a broken warehouse file, a DuckDB error: an error, never a verdict
        print(f"opsready gate: cannot read the published warehouse: {exc}", file=sys.stderr)
        return 2
    wave = args.wave or (verdict["next_wave"] or 4)
    ready = verdict["current_wave"] >= wave
    verdict.update(asked_wave=wave, ready_for_asked_wave=ready)
    if args.json:
        print(json.dumps(verdict, indent=2, default=str))
        return 0 if ready else 1
    print(f"plant {verdict['plant_id']} ({verdict['company']}) as of {verdict['as_of']}: wave {verdict['current_wave']}"
          + (f", next wave {verdict['next_wave']}" if verdict["next_wave"] else " (all gates passed)"))
    for c in verdict["criteria"]:
        mark = "PASS" if c["passed"] else "FAIL"
        value = _fmt(c["value"]) if c["value"] is not None else f"not evaluated ({c['not_evaluated_reason']})"
        print(f"  [{mark}] gate {c['gate']} {c['criterion']}: {value} vs {c['comparator']} {_fmt(c['threshold'])}"
              f" ({c['window_days']} d; {c['detail'] or ''})")
    if ready:
        print(f"READY: cleared for wave {wave}" if wave <= verdict["current_wave"] else "READY")
    else:
        blocking = [c for c in verdict["criteria"] if c["gate_from"] == verdict["current_wave"] and not c["passed"]]
        print(f"NOT READY for wave {wave}: blocked at gate {verdict['current_wave']}->{verdict['current_wave'] + 1} by "
              + ", ".join(c["criterion"] for c in blocking))
    return 0 if ready else 1


def run_backfill(dates: list[str]):
    """Evaluate the gates on `dates` through the nightly's own path: the warehouse_only job (working copy → ingest →
    dbt build with var readiness_dates → integrity checks → atomic publish). Returns the Dagster result."""
    from opsready.cli import dagster_home, quiet_telemetry, run_lock

    quiet_telemetry()
    dagster_home()
    paths.export_warehouse_env()
    dbt_vars(dates)  # validate the gates file and the dates before starting a run
    import dagster as dg

    from orchestration.definitions import defs

    job = defs.resolve_job_def("warehouse_only")
    run_config = {"ops": {"opsready_dbt_models": {"config": {"readiness_dates": dates}}}}
    with run_lock():
        return job.execute_in_process(instance=dg.DagsterInstance.get(), run_config=run_config, raise_on_error=False)


def cmd_backfill(args) -> int:
    try:
        if args.dates:
            dates = [parse_date(d.strip(), "--dates").isoformat() for d in args.dates.split(",") if d.strip()]
        else:
            dates = evaluation_dates(args.start, args.end, args.every)
        load_gates()
    except GateConfigError as exc:
        print(f"opsready backfill: {exc}", file=sys.stderr)
        return 2
    if not dates:
        print("opsready backfill: no dates in that range", file=sys.stderr)
        return 2
    print(f"evaluating readiness on {len(dates)} dates ({dates[0]} … {dates[-1]}) in one dbt run")
    result = run_backfill(dates)
    if not result.success:
        from opsready.cli import step_failure_lines

        print(f"backfill run {result.run_id} FAILED; the published warehouse is unchanged.", file=sys.stderr)
        for line in step_failure_lines(result):
            print(line, file=sys.stderr)
        return 1
    print(f"backfill run {result.run_id} published verdicts for {len(dates)} dates to {paths.published_warehouse()}; "
          "see marts.readiness_timeline")
    return 0


def register_cli(sub) -> None:
    """Add `gate` and `backfill` to the `opsready` CLI (called by opsready/cli.py)."""
    p = sub.add_parser("gate", help="is a plant ready for its next wave? exit 0 ready, 1 not ready, 2 error")
    p.add_argument("--plant", required=True, help="plant id, e.g. MS01")
    p.add_argument("--as-of", help="evaluation date YYYY-MM-DD (default: the latest evaluated)")
    p.add_argument("--wave", type=int, choices=[2, 3, 4],
                   help="ask whether the plant is cleared for this wave (default: its next wave)")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.set_defaults(func=cmd_gate)

    p = sub.add_parser("backfill", help="evaluate the readiness gates on past dates (one run, same publish path)")
    p.add_argument("--from", dest="start", default="2022-01-31", help="first date (default 2022-01-31)")
    p.add_argument("--to", dest="end", default="2025-12-31", help="last date (default 2025-12-31)")
    p.add_argument("--every", choices=["month-end", "quarter-end", "day"], default="month-end")
    p.add_argument("--dates", help="comma-separated dates instead of a range")
    p.set_defaults(func=cmd_backfill)


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
