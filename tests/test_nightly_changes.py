"""What changed overnight: two real nightlies (Dagster, dbt, DuckDB) on a copy of the session's small estate
(conftest `small_nightly`), the second after one plant's master data was repaired.

Night 1: MS04's latest material master (erp-midstate, extract 2025-12-31, MARC.csv) is re-delivered with description,
standard cost and lead time blank on every MS04 row: completeness falls and MS04 fails gate 1->2 on master data.
Night 2: the corrected file (the clean rows, re-exported) is dropped into the same landing folder (same extract date)
and the nightly runs again. marts.nightly_changes must show exactly that plant newly passing, with the criteria
that crossed their threshold, and nothing else (no other plant, pilot or initiative changed).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

AS_OF = date(2025, 12, 31)
PLANT = "MS04"
BLANKED = ("MAKTX", "STPRS", "PLIFZ")  # SAP MARC: description, standard cost, planned delivery time


def _blank_master_data(path: Path, plant: str) -> int:
    """Blank BLANKED on every row of `plant` in a MARC extract (';'-separated, UTF-8 with BOM, CRLF kept)."""
    text = path.read_bytes().decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(";")
    out, blanked = [lines[0]], 0
    for line in lines[1:]:
        ending = line[len(line.rstrip("\r\n")):]
        cells = line.rstrip("\r\n").split(";")
        if cells[0] == plant:
            for column in BLANKED:
                cells[header.index(column)] = ""
            blanked += 1
        out.append(";".join(cells) + ending)
    path.write_bytes("\ufeff".join(["", "".join(out)]).encode())
    return blanked


def _night(root: Path, keep_as: str) -> Path:
    from opsready.paths import Settings
    from orchestration.runtime import run_job

    result = run_job(Settings.from_env(), "warehouse_only")
    failures = [f"{e.step_key}: {e.step_failure_data.error.message[:2000]}" for e in result.all_events
                if e.is_step_failure]
    assert result.success, "nightly failed:\n" + "\n".join(failures)
    kept = root / keep_as
    shutil.copy(root / "warehouse" / "opsready.duckdb", kept)
    return kept


@pytest.fixture(scope="module")
def two_nights(small_nightly, tmp_path_factory):
    from tests.conftest import pointed_at

    root = small_nightly.copy_to(tmp_path_factory.mktemp("two_nights") / "root")
    with pointed_at(root):
        marc = root / "landing" / "erp-midstate" / AS_OF.isoformat() / "MARC.csv"
        clean = marc.read_bytes()
        assert _blank_master_data(marc, PLANT) > 0
        broken = _night(root, "night1.duckdb")
        # the corrected re-extract: the clean rows, re-exported with Unix line ends (not the bytes night 1 replaced)
        marc.write_bytes(clean.replace(b"\r\n", b"\n"))
        repaired = _night(root, "night2.duckdb")
    return broken, repaired


def _plants(db: Path) -> dict[str, tuple[int, str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {p: (w, v) for p, w, v in con.execute(
            "select plant_id, current_wave, verdict from marts.plant_readiness where as_of = ?", [AS_OF]).fetchall()}


def _statuses(db: Path) -> dict[tuple[str, str, str], tuple[str, str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {(p, g, c): (s, label) for p, g, c, s, label in con.execute(
            "select plant_id, gate, criterion, status, label from marts.readiness_criteria where as_of = ?",
            [AS_OF]).fetchall()}


def test_night_one_has_the_plant_blocked_on_master_data(two_nights):
    broken, _ = two_nights
    assert _plants(broken)[PLANT] == (1, "blocked")
    statuses = _statuses(broken)
    assert statuses[(PLANT, "1->2", "mdq_completeness")][0] == "failed"
    with duckdb.connect(str(broken), read_only=True) as con:
        blocked_by = con.execute("select blocked_by from marts.plant_readiness where plant_id = ? and as_of = ?",
                                 [PLANT, AS_OF]).fetchone()[0]
    assert "Master-data completeness" in blocked_by


def test_nightly_changes_shows_exactly_that_plant_newly_passing(two_nights):
    broken, repaired = two_nights
    before, after = _plants(broken), _plants(repaired)
    assert after[PLANT][0] > before[PLANT][0]
    assert {p: v for p, v in before.items() if p != PLANT} == {p: v for p, v in after.items() if p != PLANT}
    # the criteria whose status crossed between the two nights, worked out from each night's own verdicts
    old, new = _statuses(broken), _statuses(repaired)
    crossed = sorted(
        ("criterion_now_passing" if new[k][0] == "passed" else "criterion_now_failing", k[0], k[1], k[2], new[k][1])
        for k in new if (old[k][0] == "passed") != (new[k][0] == "passed"))
    assert crossed and {c[1] for c in crossed} == {PLANT}
    with duckdb.connect(str(repaired), read_only=True) as con:
        changes = con.execute(
            "select as_of, previous_as_of, change_type, plant_id, gate, subject, label, before_value, after_value "
            "from marts.nightly_changes order by change_type, gate, subject").fetchall()
        names = dict(con.execute("select plant_id, plant_name from staging.stg_erp__plants").fetchall())
    assert {(c[0], c[1]) for c in changes} == {(AS_OF, AS_OF)}
    plant_rows = [c[2:] for c in changes if c[2].startswith("plant_")]
    assert plant_rows == [("plant_newly_passing", PLANT, None, PLANT, names[PLANT],
                           f"wave {before[PLANT][0]}, {before[PLANT][1]}", f"wave {after[PLANT][0]}, {after[PLANT][1]}")]
    criterion_rows = sorted((c[2], c[3], c[4], c[5], c[6]) for c in changes if c[2].startswith("criterion_"))
    assert criterion_rows == crossed
    assert {c[3] for c in changes} == {PLANT}  # no pilot, initiative or other plant changed
