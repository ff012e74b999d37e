"""A plant's readiness verdict, read-only from the published warehouse (`audit.readiness_history`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opsready import connect
from opsready.gates import GateConfigError, parse_date


def read_verdict(db: Path, plant: str, as_of: str | None) -> dict[str, Any]:
    """The plant's verdict on `as_of` (default: the latest date the plant was evaluated), read-only from the
    published warehouse's audit.readiness_history. Raises GateConfigError with a clear message when it can't."""
    if not db.exists():
        raise GateConfigError(f"no published warehouse at {db}; run `opsready run` first")
    with connect.published(db) as con:
        has = con.execute("select count(*) from information_schema.tables "
                          "where table_schema = 'audit' and table_name = 'readiness_history'").fetchone()[0]
        if not has:
            raise GateConfigError(f"{db} has no audit.readiness_history; run `opsready run` first")
        known = [r[0] for r in con.execute(
            "select distinct plant_id from audit.readiness_history order by 1").fetchall()]
        plant = {known_id.casefold(): known_id for known_id in known}.get(plant.casefold(), plant)  # ms01 is MS01
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
