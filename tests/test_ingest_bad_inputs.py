"""Every case of the bad-input corpus (tests/bad_inputs) loads exactly as expected.yaml says (worked out by hand)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
import yaml

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from ingest import discover, load_entity, record_unmapped_files  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))


def test_corpus_has_at_least_25_distinct_defects():
    defects = {case["defect"] for case in CASES.values()}
    assert len(defects) >= 25
    assert sorted(CASES) == sorted(p.name for p in (CORPUS / "cases").iterdir())


def _load(con, case_dir: Path, entity: str | None):
    if entity is None:
        return record_unmapped_files(con, case_dir, "test-run")
    return load_entity(con, entity, case_dir, "test-run")


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_case(name):
    case = CASES[name]
    con = duckdb.connect()
    results = _load(con, CORPUS / "cases" / name, case["entity"])
    assert len(results) == 1, [r.message for r in results]
    result = results[0]
    assert result.status == case["status"], result.message
    log = con.execute("SELECT status, rows_read, rows_loaded, rows_quarantined, message FROM audit.load_log").fetchall()
    assert len(log) == 1 and log[0][0] == case["status"]
    if case["status"] == "quarantined":  # the whole file (issue 23: it was `failed`, which stopped the night)
        assert case["error"] in result.message
        assert case["error"] in log[0][4]
        if case["entity"]:
            assert con.execute(f"SELECT count(*) FROM raw.{case['entity']}").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM audit.quarantine").fetchone()[0] == 0
        return
    read, loaded, quarantined = case["rows"]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (read, loaded, quarantined)
    assert log[0][1:4] == (read, loaded, quarantined)
    entity = case["entity"]
    assert con.execute(f"SELECT count(*) FROM raw.{entity}").fetchone()[0] == loaded
    quarantine = con.execute(
        'SELECT "row", "column", raw_value, reason FROM audit.quarantine ORDER BY "row", "column"').fetchall()
    assert quarantine == [tuple(q) for q in case.get("quarantine", [])]
    for row_number, expected in (case.get("values") or {}).items():
        columns = ", ".join(f'"{c}"' for c in expected)
        actual = con.execute(f"SELECT {columns} FROM raw.{entity} WHERE _row = ?", [row_number]).fetchone()
        assert actual is not None, f"row {row_number} not loaded"
        for column, got in zip(expected, actual):
            want = expected[column]
            assert (str(got) if got is not None else None) == (str(want) if want is not None else None), column
    if "warning" in case:
        assert any(case["warning"] in w for w in result.warnings)
        assert case["warning"] in log[0][4]
    failed_warnings = sorted(o.expectation for o in result.expectations if not o.success)
    assert failed_warnings == sorted(case.get("gx_warnings", []))
    assert all(o.severity == "warning" for o in result.expectations if not o.success)
    stored = con.execute("SELECT count(*) FROM audit.expectation_results WHERE NOT success").fetchone()[0]
    assert stored == len(case.get("gx_warnings", []))


def test_workbook_yields_one_landing_file_per_sheet_entity():
    files = discover(CORPUS / "cases" / "px_bad_status")
    assert sorted(f.entity for f in files) == ["benefit_log", "initiatives", "pilot_status_log", "pilots", "systems"]
    assert {f.rel_path for f in files} == {"pilots/2023-03-31/roadmap_register.xlsx"}
