"""`opsready gate` (is a plant ready?) and `opsready backfill` (evaluate the gates on past dates)."""

from __future__ import annotations

import json
import sys

from opsready.gates import GateConfigError, evaluation_dates, load_gates, parse_date
from opsready.paths import Settings
from opsready.verdict import read_verdict
from orchestration.resources import NightOptions
from orchestration.runtime import RunLocked, run_job, step_failure_lines


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def cmd_gate(args) -> int:
    """Exit 0 ready, 1 not ready, 2 error. Ready = nothing blocks the plant (every gate passed in order), or with
    --wave N: the plant is cleared for wave N (it passes every gate up to N)."""
    try:
        verdict = read_verdict(Settings.from_env().published_warehouse, args.plant, args.as_of)
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
    settings = Settings.from_env()
    try:
        result = run_job(settings, "warehouse_only", NightOptions(readiness_dates=dates))
    except RunLocked as exc:
        print(f"opsready backfill: {exc}", file=sys.stderr)
        return 1
    if not result.success:
        print(f"backfill run {result.run_id} FAILED; the published warehouse is unchanged.", file=sys.stderr)
        for line in step_failure_lines(result):
            print(line, file=sys.stderr)
        return 1
    print(f"backfill run {result.run_id} published verdicts for {len(dates)} dates to {settings.published_warehouse}; "
          "see marts.readiness_timeline")
    return 0


def register_cli(sub) -> None:
    """Add `gate` and `backfill` to the `opsready` command line (opsready/cli.py)."""
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
