"""The generated sample estate loads file by file exactly as its manifest says (rows and quarantine per reason),
and the sum rule rows_read = rows_loaded + rows_quarantined holds for every file, in the log and in the tables."""

from __future__ import annotations

import json
import os
from collections import Counter

import duckdb
import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from ingest import discover, load_entity  # noqa: E402
from ingest.entities import ENTITIES  # noqa: E402

sample = pytest.importorskip("opsready.sample")


@pytest.fixture(scope="module")
def loaded_estate(tmp_path_factory):
    out = tmp_path_factory.mktemp("estate")
    manifest = sample.generate(out, seed=7, scale=0.05)
    con = duckdb.connect(str(out / "warehouse.duckdb"))
    results = [r for entity in ENTITIES for r in load_entity(con, entity, out / "landing", "estate-run")]
    yield manifest, con, results, out
    con.close()


def test_every_manifest_file_is_loaded_with_its_rows_and_quarantine(loaded_estate):
    manifest, _, results, _ = loaded_estate
    by_file = {(r.file, r.entity): r for r in results}
    expected = {(f["path"].removeprefix("landing/"), f["entity"]): f for f in manifest["files"]}
    assert set(by_file) == set(expected)
    assert Counter(r.status for r in results) == Counter(loaded=len(expected))
    for key, f in expected.items():
        r = by_file[key]
        assert (r.rows_read, r.quarantine_by_reason) == (f["rows"], f["quarantine"]), key


def test_sum_rule_holds_for_every_file_in_log_and_tables(loaded_estate):
    _, con, _, _ = loaded_estate
    broken = con.execute("""
        SELECT file, entity FROM audit.load_log WHERE rows_read <> rows_loaded + rows_quarantined""").fetchall()
    assert broken == []
    parts = " UNION ALL ".join(f"SELECT _load_id, count(*) AS n FROM raw.{e} GROUP BY _load_id" for e in ENTITIES)
    mismatched = con.execute(f"""
        WITH raw_rows AS ({parts}),
             q AS (SELECT load_id, count(DISTINCT "row") AS n FROM audit.quarantine GROUP BY load_id)
        SELECT l.file, l.entity FROM audit.load_log l
        LEFT JOIN raw_rows r ON r._load_id = l.load_id LEFT JOIN q ON q.load_id = l.load_id
        WHERE coalesce(r.n, 0) <> l.rows_loaded OR coalesce(q.n, 0) <> l.rows_quarantined""").fetchall()
    assert mismatched == []


def test_quarantine_totals_equal_manifest(loaded_estate):
    manifest, con, _, _ = loaded_estate
    totals = dict(con.execute("""
        SELECT reason, count(*) FROM (SELECT DISTINCT load_id, "row", reason FROM audit.quarantine) GROUP BY reason
    """).fetchall())
    assert totals == manifest["quarantine_total"]


def test_second_run_loads_nothing(loaded_estate):
    _, con, _, out = loaded_estate
    before = con.execute("SELECT count(*) FROM raw.machine_states").fetchone()[0]
    again = load_entity(con, "machine_states", out / "landing", "estate-run-2")
    assert {r.status for r in again} == {"skipped"}
    assert len(again) == sum(1 for f in discover(out / "landing") if f.entity == "machine_states")
    assert con.execute("SELECT count(*) FROM raw.machine_states").fetchone()[0] == before


def test_expectation_results_recorded_for_every_loaded_file(loaded_estate):
    _, con, results, _ = loaded_estate
    missing = con.execute("""
        SELECT l.file, l.entity FROM audit.load_log l WHERE l.status = 'loaded'
        AND NOT EXISTS (SELECT 1 FROM audit.expectation_results x WHERE x.load_id = l.load_id)""").fetchall()
    assert missing == []
    assert not any(o.severity == "error" and not o.success for r in results for o in r.expectations)
