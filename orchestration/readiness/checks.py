"""Readiness verdicts as an asset check on `marts/plant_readiness` (SPEC §5).

Kept apart from integrity checks: this check is non-blocking and WARN severity, so a plant that is not ready never
fails the run or stops the publish (integrity checks — GX error suites, error-severity dbt tests — do). It is
declared once, without knowing the plants (nothing is read when the definitions load); each run's evaluation
carries every plant's verdict in its metadata: `plants` (per plant: wave, next wave, ready, the blocking gate and
its failing criteria with value vs threshold), `ready_plants` and `blocked_plants`. Passed = no plant is blocked.
"""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

PLANT_READINESS = dg.AssetKey(["marts", "plant_readiness"])
CHECK_NAME = "plants_ready"


def plant_verdicts(con) -> dict[str, dict]:
    """Each plant's verdict on the latest as_of of marts.plant_readiness, with its blocking gate's failing criteria."""
    out: dict[str, dict] = {}
    rows = con.execute(
        "select plant_id, as_of, current_wave, next_wave, ready, blocking_gate "
        "from marts.plant_readiness where as_of = (select max(as_of) from marts.plant_readiness) "
        "order by plant_id").fetchall()
    for plant_id, as_of, wave, next_wave, ready, gate in rows:
        out[plant_id] = dict(as_of=str(as_of), current_wave=wave, next_wave=next_wave, ready=bool(ready),
                             blocking_gate=gate or "none", failing_criteria=[])
    for plant_id, gate_from, gate, criterion, value, comparator, threshold, passed, reason in con.execute(
        "select plant_id, gate_from, gate, criterion, value, comparator, threshold, passed, not_evaluated_reason "
        "from marts.readiness_criteria where as_of = (select max(as_of) from marts.plant_readiness) "
        "order by plant_id, gate_from, criterion_order").fetchall():
        if plant_id in out and gate_from == out[plant_id]["current_wave"] and not passed:
            shown = f"{value:.4g}" if value is not None else f"not evaluated ({reason})"
            out[plant_id]["failing_criteria"].append(f"{gate} {criterion}: {shown} vs {comparator} {threshold:g}")
    return out


@dg.asset_check(asset=PLANT_READINESS, name=CHECK_NAME, blocking=False,
                description="Every plant is ready: no readiness gate blocks any plant (non-blocking verdicts).")
def plants_ready(warehouse: DuckDBResource) -> dg.AssetCheckResult:
    """Every plant's verdict from tonight's marts.plant_readiness; never fails the run."""
    with warehouse.get_connection() as con:
        verdicts = plant_verdicts(con)
    blocked = sorted(p for p, v in verdicts.items() if not v["ready"])
    return dg.AssetCheckResult(
        passed=bool(verdicts) and not blocked, severity=dg.AssetCheckSeverity.WARN,
        metadata={"plants": dg.MetadataValue.json(verdicts), "blocked_plants": blocked,
                  "ready_plants": sorted(p for p, v in verdicts.items() if v["ready"])})


readiness_checks = [plants_ready]
