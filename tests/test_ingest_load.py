"""Idempotency, replacement, failure isolation and GX blocking of ingest, on real DuckDB files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import polars as pl
import yaml

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from ingest import discover, load_entities, load_entity  # noqa: E402
from ingest.entities import ENTITIES  # noqa: E402
from ingest.load import entity_lanes  # noqa: E402
from ingest.profiles import PROFILE_DIR  # noqa: E402
from opsready.sample import generate  # noqa: E402
from ingest.gx import blocking_failures, validate_frame  # noqa: E402

CASES = Path(__file__).resolve().parent / "bad_inputs" / "cases"


def land(landing: Path, case: str, extract_date: str = "2023-03-31", source: str = "erp-midstate",
         name: str = "MARC.csv") -> Path:
    """Copy one corpus file into a landing folder under the given extract date."""
    target = landing / source / extract_date / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CASES / case / source / "2023-03-31" / name, target)
    return target


def statuses(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT status FROM audit.load_log ORDER BY loaded_at, rowid").fetchall()]


def raw_count(con, where: str = "true") -> int:
    return con.execute(f"SELECT count(*) FROM raw.materials WHERE {where}").fetchone()[0]


def test_same_file_twice_loads_once(tmp_path):
    landing = tmp_path / "landing"
    land(landing, "ms_clean_reference")
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    first = load_entity(con, "materials", landing, "run-1")
    second = load_entity(con, "materials", landing, "run-2")
    assert [r.status for r in first] == ["loaded"] and [r.status for r in second] == ["skipped"]
    assert second[0].rows_read == 0 and "same sha256 already loaded" in second[0].message
    assert raw_count(con) == 3  # the clean reference file has 3 rows
    assert statuses(con) == ["loaded", "skipped"]


def test_corrected_reextract_replaces_only_that_date(tmp_path):
    landing = tmp_path / "landing"
    march = land(landing, "ms_clean_reference", "2023-03-31")  # 3 rows
    land(landing, "ms_no_bom", "2023-06-30")  # 2 rows
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    assert [r.status for r in load_entity(con, "materials", landing, "run-1")] == ["loaded", "loaded"]
    shutil.copyfile(CASES / "ms_duplicate_key" / "erp-midstate" / "2023-03-31" / "MARC.csv", march)  # 3 read, 2 ok
    results = load_entity(con, "materials", landing, "run-2")
    assert [r.status for r in results] == ["replaced", "skipped"]
    assert "3 earlier rows of 2023-03-31 deleted" in results[0].message
    assert raw_count(con, "_extract_date = DATE '2023-03-31'") == 2
    assert raw_count(con, f"_load_id = '{results[0].load_id}'") == 2
    assert raw_count(con, "_extract_date = DATE '2023-06-30'") == 2
    described = con.execute("SELECT description FROM raw.materials WHERE _extract_date = DATE '2023-03-31' "
                            "AND material_id = 'A1'").fetchall()
    assert described == [("Widget",)]  # the first occurrence wins; the second is quarantined


def test_bytes_delivered_again_after_a_correction_replace_the_correction(tmp_path):
    # A, then B (a correction), then A again under the same date: A stands now, so it replaces B's rows
    landing = tmp_path / "landing"
    march = land(landing, "ms_clean_reference", "2023-03-31")  # A: 3 rows
    clean = march.read_bytes()
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    assert [r.status for r in load_entity(con, "materials", landing, "run-1")] == ["loaded"]
    shutil.copyfile(CASES / "ms_duplicate_key" / "erp-midstate" / "2023-03-31" / "MARC.csv", march)  # B: 2 load
    assert [r.status for r in load_entity(con, "materials", landing, "run-2")] == ["replaced"]
    assert raw_count(con) == 2
    march.write_bytes(clean)
    again = load_entity(con, "materials", landing, "run-3")
    assert [r.status for r in again] == ["replaced"] and again[0].rows_loaded == 3
    assert raw_count(con) == 3 and raw_count(con, f"_load_id = '{again[0].load_id}'") == 3
    # and once A stands, a fourth run skips it
    assert [r.status for r in load_entity(con, "materials", landing, "run-4")] == ["skipped"]


def test_failed_reextract_leaves_loaded_rows_untouched(tmp_path):
    landing = tmp_path / "landing"
    march = land(landing, "ms_clean_reference")
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    load_entity(con, "materials", landing, "run-1")
    before = con.execute("SELECT * FROM raw.materials ORDER BY _row").fetchall()
    shutil.copyfile(CASES / "ms_truncated" / "erp-midstate" / "2023-03-31" / "MARC.csv", march)
    results = load_entity(con, "materials", landing, "run-2")
    # a file that cannot be read is quarantined whole (issue 23; it was `failed`, which stopped the night)
    assert results[0].status == "quarantined" and "truncated file" in results[0].message
    assert con.execute("SELECT * FROM raw.materials ORDER BY _row").fetchall() == before
    assert statuses(con) == ["loaded", "quarantined"]
    # the quarantined file is retried next run: still quarantined, nothing loaded
    assert [r.status for r in load_entity(con, "materials", landing, "run-3")] == ["quarantined"]
    assert raw_count(con) == 3


def test_event_bytes_under_a_new_date_are_skipped_but_snapshot_bytes_load(tmp_path):
    landing = tmp_path / "landing"
    land(landing, "ms_clean_reference", "2023-03-31")
    land(landing, "ms_clean_reference", "2023-06-30")  # unchanged snapshot: a new snapshot date, must load
    land(landing, "ms_unknown_cost_category", "2023-03-31", name="COEP.csv")
    land(landing, "ms_unknown_cost_category", "2023-04-30", name="COEP.csv")  # same postings again: skip
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    assert [r.status for r in load_entity(con, "materials", landing, "run-1")] == ["loaded", "loaded"]
    assert [r.status for r in load_entity(con, "cost_ledger", landing, "run-1")] == ["loaded", "skipped"]
    assert raw_count(con) == 6
    assert con.execute("SELECT count(*) FROM raw.cost_ledger").fetchone()[0] == 1


def test_error_severity_expectation_blocks_and_warning_does_not():
    frame = pl.DataFrame({"posting_id": ["P1", "P1"], "posting_date": [None, None], "initiative_id": ["I", "I"],
                          "plant_id": ["M1", "M1"], "category": ["license", "license"], "amount": [1.0, 2.0],
                          "currency": ["USD", "EURO"], "_row": [1, 2]},
                         schema_overrides={"posting_date": pl.Date})
    outcomes = validate_frame("cost_ledger", frame)
    failed = {o.expectation: o.severity for o in outcomes if not o.success}
    assert failed == {"expect_column_values_to_be_unique(posting_id)": "error",
                      "expect_column_value_lengths_to_equal(currency)": "warning"}
    assert [o.expectation for o in blocking_failures(outcomes)] == ["expect_column_values_to_be_unique(posting_id)"]


def test_load_log_sum_rule_and_quarantine_rows_agree(tmp_path):
    landing = tmp_path / "landing"
    land(landing, "ms_two_faults_one_row", "2023-03-31")
    land(landing, "ms_duplicate_key", "2023-06-30")
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    load_entity(con, "materials", landing, "run-1")
    rows = con.execute("""
        SELECT l.rows_read, l.rows_loaded, l.rows_quarantined,
               (SELECT count(*) FROM raw.materials r WHERE r._load_id = l.load_id),
               (SELECT count(DISTINCT q."row") FROM audit.quarantine q WHERE q.load_id = l.load_id),
               (SELECT count(*) FROM audit.quarantine q WHERE q.load_id = l.load_id)
        FROM audit.load_log l ORDER BY extract_date""").fetchall()
    # two_faults: 2 read, 1 loaded, 1 row with 2 faults; duplicate_key: 3 read, 2 loaded, 1 quarantined
    assert rows == [(2, 1, 1, 1, 1, 2), (3, 2, 1, 2, 1, 1)]


def test_batches_are_validated_on_a_thread_of_their_own_and_one_that_gx_cannot_run_fails_alone(tmp_path):
    """load_entity sends a batch to Great Expectations and writes the previous one meanwhile; a batch whose suite
    cannot run fails its files only, and the load log keeps the files' order."""
    import threading

    from ingest.gx import validate_frames as validate_here

    landing = tmp_path / "landing"
    for extract_date in ("2023-03-31", "2023-06-30", "2023-09-30", "2023-12-31"):
        land(landing, "ms_clean_reference", extract_date)  # 3 data rows each
    calls = []

    def validate(entity, frames):
        calls.append(([frame.height for frame in frames], threading.current_thread().name))
        if len(calls) == 2:
            raise RuntimeError("suite unavailable")
        return validate_here(entity, frames)

    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    results = load_entity(con, "materials", landing, "run-1", batch_rows=1, validate_frames=validate)
    assert [r.status for r in results] == ["loaded", "failed", "loaded", "loaded"]
    assert results[1].message == (f"{results[1].file}: Great Expectations could not run: RuntimeError: "
                                  "suite unavailable")
    assert [heights for heights, _ in calls] == [[3], [3], [3], [3]]  # one file per batch (batch_rows=1)
    assert all(thread.startswith("ingest-validate") for _, thread in calls)
    assert statuses(con) == ["loaded", "failed", "loaded", "loaded"]
    assert raw_count(con) == 9  # three files of three rows
    assert raw_count(con, "_extract_date = DATE '2023-06-30'") == 0


def test_a_scan_given_by_the_caller_is_what_loads(tmp_path):
    """The nightly scans the landing folder once and hands the scan to every entity's load."""
    from ingest import discover

    landing = tmp_path / "landing"
    land(landing, "ms_clean_reference", "2023-03-31")
    scanned = discover(landing)
    land(landing, "ms_clean_reference", "2023-06-30")  # arrives after the scan
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    assert [r.extract_date.isoformat() for r in load_entity(con, "materials", landing, "run-1", found=scanned)] \
        == ["2023-03-31"]
    assert [(r.extract_date.isoformat(), r.status) for r in load_entity(con, "materials", landing, "run-2")] \
        == [("2023-03-31", "skipped"), ("2023-06-30", "loaded")]


def test_readme_example_profile_loads_a_new_system_without_code_change(tmp_path):
    import re

    readme = (Path(__file__).resolve().parent.parent / "ingest" / "README.md").read_text(encoding="utf-8")
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "erp-s4-werk-nord.yaml").write_text(re.search(r"```yaml\n(# Werk Nord.*?)```", readme, re.S).group(1))
    landing = tmp_path / "landing" / "erp-s4-werk-nord" / "2025-03-31"
    landing.mkdir(parents=True)
    text = ("Materialstamm Werk Nord, Stand 31.03.2025\n"
            "Werk;Materialnummer;Materialart;Basismengeneinheit;Materialkurztext;Standardpreis;Planlieferzeit;"
            "Beschaffungsart;Letzte Änderung\n"
            "N1;M-1;FERT;ST;Schraube – verzinkt;1.050,25;7;F;15.03.2025\n"
            "N1;M-2;ROH;KG;Blech;-;3;E;16.03.2025 12:30:00\n")
    (landing / "Materialstamm.csv").write_bytes(text.encode("cp1252"))
    con = duckdb.connect()
    results = load_entity(con, "materials", tmp_path / "landing", "run-1", profile_dir=profiles)
    assert [(r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) for r in results] == [("loaded", 2, 2, 0)]
    rows = con.execute("SELECT material_id, description, base_uom, standard_cost, procurement_type, "
                       "strftime(changed_at, '%Y-%m-%d %H:%M') FROM raw.materials ORDER BY _row").fetchall()
    assert rows == [("M-1", "Schraube – verzinkt", "EA", 1050.25, "buy", "2025-03-15 00:00"),
                    ("M-2", "Blech", "KG", None, "make", "2025-03-16 12:30")]


def test_a_file_with_its_last_size_and_modification_time_is_not_read_again(tmp_path):
    import hashlib

    landing = tmp_path / "landing"
    target = land(landing, "ms_clean_reference")
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    first = load_entity(con, "materials", landing, "run-1")
    before = target.stat()
    assert con.execute("SELECT file_bytes, file_modified_ns FROM audit.load_log").fetchall() == [
        (before.st_size, before.st_mtime_ns)]
    # the same size and modification time: taken as the file already hashed, so its bytes are not read again
    # (the trade-off make and rsync make; landing files are written once)
    original = target.read_bytes()
    edited = original.replace(b"Widget", b"Wodget")
    assert edited != original and len(edited) == len(original)
    target.write_bytes(edited)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    second = load_entity(con, "materials", landing, "run-2")
    assert [r.status for r in second] == ["skipped"] and second[0].sha256 == first[0].sha256
    # a new modification time: read again, its new bytes found
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
    third = load_entity(con, "materials", landing, "run-3")
    assert [r.status for r in third] == ["replaced"]
    assert third[0].sha256 == hashlib.sha256(edited).hexdigest() != first[0].sha256


def test_an_older_load_log_gains_the_file_stat_columns(tmp_path):
    from ingest.warehouse import ensure_warehouse

    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("CREATE SCHEMA audit")
    con.execute("CREATE TABLE audit.load_log (load_id VARCHAR PRIMARY KEY, run_id VARCHAR, source VARCHAR, "
                "profile VARCHAR, entity VARCHAR, extract_date DATE, file VARCHAR, sha256 VARCHAR, rows_read BIGINT, "
                "rows_loaded BIGINT, rows_quarantined BIGINT, status VARCHAR, message VARCHAR, loaded_at TIMESTAMP)")
    con.execute("INSERT INTO audit.load_log (load_id, status) VALUES ('old', 'loaded')")
    ensure_warehouse(con)
    ensure_warehouse(con)  # twice: idempotent
    columns = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                                         "'audit' AND table_name = 'load_log' ORDER BY ordinal_position").fetchall()]
    # the file stat columns, then the whole-file quarantine reason and the mapping fingerprints (issue 23)
    assert columns[-5:] == ["file_bytes", "file_modified_ns", "reason", "profile_sha256", "contract_sha256"]
    assert len(columns) == 19
    assert con.execute("SELECT load_id, file_bytes FROM audit.load_log").fetchall() == [("old", None)]


def test_two_lanes_side_by_side_load_exactly_what_one_entity_after_another_loads(tmp_path):
    """The landing step's two lanes (ingest.load_entities) against load_entity entity by entity, on the sample
    estate at scale 0.05 with its planted faults: the same raw rows, load-log outcomes and quarantine rows."""
    generate(tmp_path, scale=0.05)
    landing = tmp_path / "landing"
    found = discover(landing)
    # the heavy lane, worked out from the profiles' file names and the files' sizes alone: more than a tenth of the
    # landing bytes
    file_entities = {}  # (source, file name) -> the entities read from it (a workbook: one per sheet)
    for profile in PROFILE_DIR.glob("*.yaml"):
        document = yaml.safe_load(profile.read_text())
        for name, entity in document["entities"].items():
            file_name = entity.get("file") or document["format"].get("file")
            file_entities.setdefault((profile.stem, file_name), []).append(name)
    size = {}
    for path in landing.glob("*/*/*"):
        for name in file_entities.get((path.parent.parent.name, path.name), []):
            size[name] = size.get(name, 0) + path.stat().st_size
    heavy = [e for e in ENTITIES if size.get(e, 0) > sum(size.values()) / 10]
    assert heavy and entity_lanes(list(ENTITIES), found) == [heavy, [e for e in ENTITIES if e not in heavy]]
    side_by_side = duckdb.connect(str(tmp_path / "lanes.duckdb"))
    by_lane = load_entities(side_by_side, list(ENTITIES), landing, "run-1", found)
    one_by_one = duckdb.connect(str(tmp_path / "sequential.duckdb"))
    sequential = {e: load_entity(one_by_one, e, landing, "run-1", found=found) for e in ENTITIES}
    assert list(by_lane) == list(ENTITIES)
    def outcome(results):
        return [(r.file, r.status, r.rows_read, r.rows_loaded, r.rows_quarantined, r.reason) for r in results]

    assert {e: outcome(r) for e, r in by_lane.items()} == {e: outcome(r) for e, r in sequential.items()}
    one_by_one.close()
    side_by_side.execute(f"ATTACH '{tmp_path / 'sequential.duckdb'}' AS seq (READ_ONLY)")
    tables = [f"raw.{e}" for e in ENTITIES] + ["audit.quarantine"]
    for table in tables:
        lineage_free = "* EXCLUDE (_load_id)" if table.startswith("raw.") else "* EXCLUDE (load_id)"
        differ = side_by_side.execute(
            f"SELECT count(*) FROM ((SELECT {lineage_free} FROM {table} EXCEPT ALL SELECT {lineage_free} FROM "
            f"seq.{table}) UNION ALL (SELECT {lineage_free} FROM seq.{table} EXCEPT ALL SELECT {lineage_free} "
            f"FROM {table}))").fetchone()[0]
        assert differ == 0, table
    rows = side_by_side.execute("SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined) FROM audit.load_log"
                                ).fetchone()
    assert rows[0] == rows[1] + rows[2] and rows[1] == sum(
        side_by_side.execute(f"SELECT count(*) FROM raw.{e}").fetchone()[0] for e in ENTITIES)
