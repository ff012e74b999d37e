"""Readiness verdicts as per-plant asset checks on `marts/plant_readiness` (SPEC §5).

They are kept apart from integrity checks: every check here is non-blocking and WARN severity, so a plant that is
not ready never fails the run or stops the publish (integrity checks — GX error suites, error-severity dbt tests —
do). One check per plant, `ready_<plant_id>`: passed = the plant is ready (no gate blocks it, wave 4); metadata =
its wave and the blocking gate's failing criteria with value vs threshold.

Check specs are declared at definitions load, so the plant ids are read (read-only) from the published warehouse
then; before the first publish there are none, and a plant new in tonight's data gets its check from the next load.
"""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from opsready import connect, paths

PLANT_READINESS = dg.AssetKey(["marts", "plant_readiness"])


def published_plant_ids() -> list[str]:
    """Plant ids in the published warehouse's marts.plant_readiness; empty when nothing is published yet."""
    db = paths.published_warehouse()
    if not db.exists():
        return []
    import duckdb

    try:
        with connect.published(db) as con:
            return [r[0] for r in con.execute(
                "select distinct plant_id from marts.plant_readiness where plant_id is not null order by 1").fetchall()]
    except duckdb.Error:
        return []


def check_name(plant_id: str) -> str:
    return "ready_" + "".join(ch if ch.isalnum() else "_" for ch in plant_id)


def _verdicts(con, plant_ids: list[str]) -> dict[str, dict]:
    """Each plant's verdict on the latest as_of of marts.plant_readiness in the working copy, with its criteria."""
    out: dict[str, dict] = {}
    rows = con.execute(
        "select plant_id, as_of, current_wave, next_wave, ready, blocking_gate, failing_criteria "
        "from marts.plant_readiness where as_of = (select max(as_of) from marts.plant_readiness)").fetchall()
    for plant_id, as_of, wave, next_wave, ready, gate, failing in rows:
        out[plant_id] = dict(as_of=as_of, wave=wave, next_wave=next_wave, ready=ready, gate=gate, failing=failing,
                             criteria=[])
    for plant_id, gate_from, gate, criterion, value, comparator, threshold, passed, reason in con.execute(
        "select plant_id, gate_from, gate, criterion, value, comparator, threshold, passed, not_evaluated_reason "
        "from marts.readiness_criteria where as_of = (select max(as_of) from marts.plant_readiness) "
        "order by plant_id, gate_from, criterion_order").fetchall():
        if plant_id in out and gate_from == out[plant_id]["wave"] and not passed:
            shown = f"{value:.4g}" if value is not None else f"not evaluated ({reason})"
            out[plant_id]["criteria"].append(f"{gate} {criterion}: {shown} vs {comparator} {threshold:g}")
    return out


def build_readiness_checks(plant_ids: list[str]) -> list[dg.AssetChecksDefinition]:
    if not plant_ids:
        return []
    specs = [
        dg.AssetCheckSpec(name=check_name(p), asset=PLANT_READINESS, blocking=False,
                          description=f"Plant {p} is ready: no readiness gate blocks it (non-blocking verdict).")
        for p in plant_ids
    ]

    @dg.multi_asset_check(specs=specs, name="plant_readiness_verdicts")
    def plant_readiness_verdicts(warehouse: DuckDBResource):
        """One verdict per plant from tonight's marts.plant_readiness; never fails the run."""
        with warehouse.get_connection() as con:
            verdicts = _verdicts(con, plant_ids)
        for p in plant_ids:
            v = verdicts.get(p)
            if v is None:
                yield dg.AssetCheckResult(check_name=check_name(p), asset_key=PLANT_READINESS, passed=False,
                                          severity=dg.AssetCheckSeverity.WARN,
                                          metadata={"reason": "plant not evaluated in this run"})
                continue
            yield dg.AssetCheckResult(
                check_name=check_name(p), asset_key=PLANT_READINESS, passed=bool(v["ready"]),
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"as_of": str(v["as_of"]), "current_wave": v["wave"], "next_wave": v["next_wave"],
                          "blocking_gate": v["gate"] or "none", "failing_criteria": v["criteria"]},
            )

    return [plant_readiness_verdicts]


readiness_checks = build_readiness_checks(published_plant_ids())
