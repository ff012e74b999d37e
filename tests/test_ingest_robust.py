"""Issue 23 at the load level, on hand-written mini landing folders and real DuckDB files: whole-file quarantine,
an idempotency key that covers the profile and the contract, re-sent event extracts, links out of the landing
folder, unreadable folders, empty and undecodable files, and killed runs in `audit.run_log`.

Each test asserts the message, the quarantine reason, the sum rule (rows read = loaded + quarantined) and that the
other files of the night loaded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from ingest import load_entity, record_unmapped_files  # noqa: E402
from ingest.profiles import PROFILE_DIR  # noqa: E402
from ingest.warehouse import ensure_warehouse  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "bad_inputs" / "cases"
MARC = (CASES / "ms_clean_reference" / "erp-midstate" / "2023-03-31" / "MARC.csv").read_bytes()
BOM = b"\xef\xbb\xbf"
COEP_HEADER = "BELNR;BUDAT;POSID;WERKS;KSTAR;WRBTR;WAERS"
MACHINE_STATES_HEADER = "site,resource,start_utc,end_utc,status,reason_code"


def put(landing: Path, rel: str, data: bytes) -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def log_rows(con, run_id: str) -> dict[str, tuple]:
    """file → (status, rows_read, rows_loaded, rows_quarantined, reason, message) of the run's load-log rows."""
    return {r[0]: r[1:] for r in con.execute(
        "SELECT file, status, rows_read, rows_loaded, rows_quarantined, reason, message FROM audit.load_log "
        "WHERE run_id = ? ORDER BY file", [run_id]).fetchall()}


def sum_rule_holds(con) -> bool:
    return con.execute("SELECT count(*) FROM audit.load_log WHERE rows_read <> rows_loaded + rows_quarantined"
                       ).fetchone()[0] == 0


# --- a profile or contract change reloads exactly the files it affects --------------------------------------------

def test_a_profile_change_reloads_exactly_the_files_it_affects_and_says_why(tmp_path):
    profiles = tmp_path / "profiles"
    shutil.copytree(PROFILE_DIR, profiles)
    landing = tmp_path / "landing"
    put(landing, "erp-midstate/2023-03-31/MARC.csv", MARC)
    put(landing, "erp-midstate/2023-06-30/MARC.csv", MARC.replace(b"Widget", b"Widget v2"))
    put(landing, "erp-midstate/2023-03-31/COEP.csv",
        BOM + f"{COEP_HEADER}\n100001;15.03.2023;INI-1;M100;LIZENZ;10.000,00;USD\n".encode())
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))

    def night(run_id):
        return {r.file: r for entity in ("materials", "cost_ledger")
                for r in load_entity(con, entity, landing, run_id, profile_dir=profiles)}

    first = night("run-1")
    assert {f: r.status for f, r in first.items()} == dict.fromkeys(first, "loaded")
    assert {f: r.status for f, r in night("run-2").items()} == dict.fromkeys(first, "skipped")

    # another entity's mapping changes (bom): nothing loaded is affected
    profile = profiles / "erp-midstate.yaml"
    text = profile.read_text(encoding="utf-8")
    profile.write_text(text.replace("\n      uom: {ST: EA, KG: KG, M: M, L: L, PAK: PAC}",
                                    "\n      uom: {ST: EA, KG: KG, M: M, L: L, PAK: PCK}"), encoding="utf-8")
    assert profile.read_text(encoding="utf-8") != text
    assert {f: r.status for f, r in night("run-3").items()} == dict.fromkeys(first, "skipped")

    # the materials mapping changes: procurement codes E and F swapped
    swapped = {"E": "buy", "F": "make", "X": "both"}
    profile.write_text(profile.read_text(encoding="utf-8").replace(
        "procurement_type: {E: make, F: buy, X: both}", "procurement_type: {E: buy, F: make, X: both}"),
        encoding="utf-8")
    fourth = night("run-4")
    assert {f: r.status for f, r in fourth.items()} == {
        "erp-midstate/2023-03-31/COEP.csv": "skipped",
        "erp-midstate/2023-03-31/MARC.csv": "replaced", "erp-midstate/2023-06-30/MARC.csv": "replaced"}
    logged = log_rows(con, "run-4")
    for file in ("erp-midstate/2023-03-31/MARC.csv", "erp-midstate/2023-06-30/MARC.csv"):
        status, read, loaded, quarantined, reason, message = logged[file]
        assert (status, read, loaded, quarantined, reason) == ("replaced", 3, 3, 0, "profile_changed")
        assert message.startswith("reloaded: profile erp-midstate.yaml changed; replaces load "), message
    assert logged["erp-midstate/2023-03-31/COEP.csv"][0] == "skipped"
    # the rows now carry the new mapping, worked out from the file by the test
    source = pl.read_csv(MARC.removeprefix(BOM), separator=";", infer_schema=False)
    expected = sorted((m, swapped[code]) for m, code in zip(source["MATNR"], source["BESKZ"]))
    for extract_date in ("2023-03-31", "2023-06-30"):
        got = con.execute("SELECT material_id, procurement_type FROM raw.materials WHERE _extract_date = ? "
                          "ORDER BY 1", [extract_date]).fetchall()
        assert got == expected
    assert con.execute("SELECT count(*) FROM raw.materials").fetchone()[0] == 6  # no row loaded twice
    assert {f: r.status for f, r in night("run-5").items()} == dict.fromkeys(first, "skipped")
    assert sum_rule_holds(con)


# --- a re-sent event extract under a new date ----------------------------------------------------------------------

def test_a_resent_event_extract_with_other_line_ends_does_not_load_its_rows_twice(tmp_path):
    """GlobalTech re-sends June's machine states with CRLF line ends under July's date, plus one new interval: the
    two re-sent rows are quarantined naming the June file, the new one loads."""
    landing = tmp_path / "landing"
    june = [f"GT1,WC-1,2025-06-30T08:00:00Z,2025-06-30T09:00:00Z,Run,",
            f"GT1,WC-1,2025-06-30T09:00:00Z,2025-06-30T10:00:00Z,Breakdown,R12"]
    july_new = "GT1,WC-1,2025-07-01T00:00:00Z,2025-07-01T01:00:00Z,Idle,"
    put(landing, "mes-globaltech/2025-06-30/machine_states.csv", "\n".join([MACHINE_STATES_HEADER, *june, ""]).encode())
    put(landing, "mes-globaltech/2025-07-31/machine_states.csv",
        "\r\n".join([MACHINE_STATES_HEADER, *june, july_new, ""]).encode())
    put(landing, "erp-midstate/2025-07-31/MARC.csv", MARC)  # the rest of the night
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    results = load_entity(con, "machine_states", landing, "run-1")
    materials = load_entity(con, "materials", landing, "run-1")
    assert [r.status for r in results] == ["loaded", "loaded"] and [r.status for r in materials] == ["loaded"]
    status, read, loaded, quarantined, reason, message = log_rows(con, "run-1")[
        "mes-globaltech/2025-07-31/machine_states.csv"]
    assert (status, read, loaded, quarantined) == ("loaded", 3, 1, 2)
    assert ("2 row(s) quarantined (duplicate_key_across_extracts): their keys were loaded before from "
            "mes-globaltech/2025-06-30/machine_states.csv") in message
    assert con.execute("SELECT \"row\", \"column\", raw_value, reason FROM audit.quarantine ORDER BY \"row\""
                       ).fetchall() == [
        (1, "plant_id+work_center_id+started_at", "GT1|WC-1|2025-06-30 08:00:00", "duplicate_key_across_extracts"),
        (2, "plant_id+work_center_id+started_at", "GT1|WC-1|2025-06-30 09:00:00", "duplicate_key_across_extracts")]
    keys = con.execute("SELECT started_at::VARCHAR, _extract_date::VARCHAR FROM raw.machine_states ORDER BY 1"
                       ).fetchall()
    assert keys == [("2025-06-30 08:00:00", "2025-06-30"), ("2025-06-30 09:00:00", "2025-06-30"),
                    ("2025-07-01 00:00:00", "2025-07-31")]
    assert con.execute("SELECT count(*) FROM raw.materials").fetchone()[0] == 3
    assert sum_rule_holds(con)
    # a corrected June extract under June's own date still replaces June (not a duplicate of itself)
    put(landing, "mes-globaltech/2025-06-30/machine_states.csv",
        "\n".join([MACHINE_STATES_HEADER, june[0].replace("Run", "Setup"), june[1], ""]).encode())
    again = load_entity(con, "machine_states", landing, "run-2")
    assert [(r.status, r.rows_loaded, r.rows_quarantined) for r in again] == [("replaced", 2, 0), ("skipped", 0, 0)]
    assert con.execute("SELECT state FROM raw.machine_states WHERE started_at = TIMESTAMP '2025-06-30 08:00:00'"
                       ).fetchall() == [("SETUP",)]


def test_resent_keys_of_two_sources_in_one_batch_are_each_found_in_their_own_history(tmp_path):
    """One batch holds a GlobalTech and a MidState extract whose months are far apart; each re-sends one interval
    of its own source's earlier extract (loaded the night before). Both are quarantined naming their own earlier
    file, the same key from the other source is not a repeat, and everything else loads."""
    landing = tmp_path / "landing"

    put(landing, "mes-globaltech/2024-01-31/machine_states.csv", "\n".join(
        [MACHINE_STATES_HEADER, "GT1,WC-1,2024-01-31T08:00:00Z,2024-01-31T09:00:00Z,Run,", ""]).encode())
    earlier_ms = pl.DataFrame({"plant": ["MS1"], "workcenter": ["WC-1"], "ts_start": ["2025-12-31 08:00"],
                               "ts_end": ["2025-12-31 09:00"], "state_code": ["1"], "reason": [None]})
    earlier_ms = earlier_ms.with_columns(pl.col("ts_start", "ts_end").str.to_datetime("%Y-%m-%d %H:%M"))
    (landing / "mes-midstate" / "2025-12-31").mkdir(parents=True)
    earlier_ms.write_parquet(landing / "mes-midstate" / "2025-12-31" / "state_events.parquet")
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    assert [r.status for r in load_entity(con, "machine_states", landing, "run-1")] == ["loaded", "loaded"]
    # the next night: both sources re-send their interval with one new one each, in one batch
    put(landing, "mes-globaltech/2024-02-29/machine_states.csv", "\n".join(
        [MACHINE_STATES_HEADER, "GT1,WC-1,2024-01-31T08:00:00Z,2024-01-31T09:00:00Z,Run,",
         "GT1,WC-1,2024-02-01T08:00:00Z,2024-02-01T09:00:00Z,Idle,", ""]).encode())
    later_ms = pl.concat([earlier_ms, earlier_ms.with_columns(
        pl.col("ts_start", "ts_end") + pl.duration(days=1), pl.lit("GT1").alias("plant"))])
    # MidState's second row has GlobalTech's plant and a key GlobalTech never loaded: new
    (landing / "mes-midstate" / "2026-01-31").mkdir(parents=True)
    later_ms.write_parquet(landing / "mes-midstate" / "2026-01-31" / "state_events.parquet")
    results = {r.file: r for r in load_entity(con, "machine_states", landing, "run-2")}
    gt, ms = results["mes-globaltech/2024-02-29/machine_states.csv"], results[
        "mes-midstate/2026-01-31/state_events.parquet"]
    assert (gt.status, gt.rows_read, gt.rows_loaded, gt.rows_quarantined) == ("loaded", 2, 1, 1)
    assert (ms.status, ms.rows_read, ms.rows_loaded, ms.rows_quarantined) == ("loaded", 2, 1, 1)
    assert "loaded before from mes-globaltech/2024-01-31/machine_states.csv" in gt.warnings[-1]
    assert "loaded before from mes-midstate/2025-12-31/state_events.parquet" in ms.warnings[-1]
    assert con.execute("SELECT file, raw_value FROM audit.quarantine ORDER BY file").fetchall() == [
        ("mes-globaltech/2024-02-29/machine_states.csv", "GT1|WC-1|2024-01-31 08:00:00"),
        ("mes-midstate/2026-01-31/state_events.parquet", "MS1|WC-1|2025-12-31 08:00:00")]
    assert con.execute("SELECT _source, plant_id, started_at::VARCHAR FROM raw.machine_states ORDER BY 1, 3"
                       ).fetchall() == [
        ("mes-globaltech", "GT1", "2024-01-31 08:00:00"), ("mes-globaltech", "GT1", "2024-02-01 08:00:00"),
        ("mes-midstate", "MS1", "2025-12-31 08:00:00"), ("mes-midstate", "GT1", "2026-01-01 08:00:00")]
    assert sum_rule_holds(con)


# --- files and folders that cannot be read or placed ---------------------------------------------------------------

def test_links_out_of_the_landing_folder_are_refused_unread(tmp_path):
    outside = tmp_path / "elsewhere"
    put(outside, "MARC.csv", MARC.replace(b"Widget", b"SECRET-ROW"))
    put(outside, "2023-06-30/MARC.csv", MARC.replace(b"Widget", b"SECRET-ROW"))
    landing = tmp_path / "landing"
    put(landing, "erp-midstate/2023-03-31/MARC.csv", MARC)
    (landing / "erp-midstate" / "2023-04-30").mkdir()
    (landing / "erp-midstate" / "2023-04-30" / "MARC.csv").symlink_to(outside / "MARC.csv")
    (landing / "erp-midstate" / "2023-06-30").symlink_to(outside / "2023-06-30")
    (landing / "erp-midstate" / "2023-07-31").mkdir()
    (landing / "erp-midstate" / "2023-07-31" / "MARC.csv").symlink_to(landing / "gone.csv")  # a broken link
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    loaded = load_entity(con, "materials", landing, "run-1")
    refused = record_unmapped_files(con, landing, "run-1")
    assert [(r.file, r.status) for r in loaded] == [("erp-midstate/2023-03-31/MARC.csv", "loaded")]
    logged = log_rows(con, "run-1")
    assert {f: v[:5] for f, v in logged.items() if v[0] == "quarantined"} == {
        "erp-midstate/2023-04-30/MARC.csv": ("quarantined", 0, 0, 0, "file_unmapped"),
        "erp-midstate/2023-06-30": ("quarantined", 0, 0, 0, "file_unmapped"),
        "erp-midstate/2023-07-31/MARC.csv": ("quarantined", 0, 0, 0, "file_unmapped")}
    assert logged["erp-midstate/2023-04-30/MARC.csv"][5] == (
        f"erp-midstate/2023-04-30/MARC.csv: a link to {outside / 'MARC.csv'}, outside the landing folder: "
        "refused, not read")
    assert logged["erp-midstate/2023-07-31/MARC.csv"][5] == (
        "erp-midstate/2023-07-31/MARC.csv: neither a file nor a folder (a broken link, a pipe?): not read")
    assert len(refused) == 3 and not any("SECRET" in r.message for r in refused)
    assert con.execute("SELECT count(*) FROM raw.materials WHERE description = 'SECRET-ROW'").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM raw.materials").fetchone()[0] == 3
    assert sum_rule_holds(con)


SCRIPT = """
import sys, duckdb
from ingest import load_entity, record_unmapped_files
con = duckdb.connect(sys.argv[2])
loaded = load_entity(con, "materials", sys.argv[1], "run-1")
refused = record_unmapped_files(con, sys.argv[1], "run-1")
print([(r.file, r.status) for r in loaded])
print([(r.file, r.status, r.reason, r.message) for r in refused])
"""


def test_an_unreadable_date_folder_is_quarantined_by_name_not_skipped(tmp_path):
    """A date folder the run's user cannot list. Root reads every folder, so as root the load runs without the
    capabilities that let it (setpriv), like any other user."""
    landing = tmp_path / "landing"
    put(landing, "erp-midstate/2023-03-31/MARC.csv", MARC)
    unreadable = put(landing, "erp-midstate/2023-06-30/MARC.csv", MARC).parent
    unreadable.chmod(0)
    as_a_user = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    try:
        done = subprocess.run([*as_a_user, sys.executable, "-c", SCRIPT, str(landing), str(tmp_path / "wh.duckdb")],
                              capture_output=True, text=True, cwd=REPO, timeout=300,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    finally:
        unreadable.chmod(0o755)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded, refused = done.stdout.strip().splitlines()
    assert loaded == "[('erp-midstate/2023-03-31/MARC.csv', 'loaded')]"
    assert refused == ("[('erp-midstate/2023-06-30', 'quarantined', 'file_unmapped', "
                       "'erp-midstate/2023-06-30: folder cannot be read: Permission denied')]")
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.materials").fetchone()[0] == 3
        assert log_rows(con, "run-1")["erp-midstate/2023-06-30"][:5] == ("quarantined", 0, 0, 0, "file_unmapped")
        assert sum_rule_holds(con)


@pytest.mark.parametrize("name, data, fault", [
    ("empty", b"", "erp-midstate/2023-06-30/MARC.csv: empty file"),
    ("utf16", "\ufeffWERKS;MATNR\nM100;A1\n".encode("utf-16-le").join([b"\xff\xfe", b""]),
     "erp-midstate/2023-06-30/MARC.csv: wrong encoding"),
])
def test_an_empty_or_undecodable_file_is_quarantined_and_loads_once_replaced(tmp_path, name, data, fault):
    """It no longer fails every night: the night loads the rest, and the fixed file (new bytes) loads next night."""
    landing = tmp_path / "landing"
    put(landing, "erp-midstate/2023-03-31/MARC.csv", MARC)
    bad = put(landing, "erp-midstate/2023-06-30/MARC.csv", data)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    results = load_entity(con, "materials", landing, "run-1")
    assert [r.status for r in results] == ["loaded", "quarantined"]
    status, read, loaded, quarantined, reason, message = log_rows(con, "run-1")[
        "erp-midstate/2023-06-30/MARC.csv"]
    assert (status, read, loaded, quarantined, reason) == ("quarantined", 0, 0, 0, "file_unreadable")
    assert message.startswith(fault) and "\n" not in message and message.count("MARC.csv") == 1, message
    assert con.execute("SELECT count(*) FROM raw.materials").fetchone()[0] == 3
    # the next night: still there, still quarantined (and named again), nothing else reloaded
    assert [r.status for r in load_entity(con, "materials", landing, "run-2")] == ["skipped", "quarantined"]
    bad.write_bytes(MARC.replace(b"Widget", b"Widget fixed"))
    assert [r.status for r in load_entity(con, "materials", landing, "run-3")] == ["skipped", "loaded"]
    assert con.execute("SELECT material_id, description FROM raw.materials WHERE _extract_date = DATE '2023-06-30' "
                       "ORDER BY 1").fetchall() == [("A1", "Widget fixed"), ("A2", "Stahl"), ("A3", "Gehäuse")]
    assert sum_rule_holds(con)


# --- a killed run ---------------------------------------------------------------------------------------------------

def test_a_killed_run_is_recorded_abandoned_by_the_next_run(tmp_path):
    import dagster as dg
    from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

    from orchestration.warehouse.run_history import record_run_history

    (tmp_path / "dagster").mkdir()
    instance = dg.DagsterInstance.local_temp(str(tmp_path / "dagster"))
    killed = instance.add_run(DagsterRun(job_name="nightly", run_id="killed-run", status=DagsterRunStatus.STARTED))
    instance.add_run(DagsterRun(job_name="nightly", run_id="failed-run", status=DagsterRunStatus.FAILURE))
    current = instance.add_run(DagsterRun(job_name="nightly", run_id="this-run", status=DagsterRunStatus.STARTED))
    assert killed.status == current.status == DagsterRunStatus.STARTED
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    ensure_warehouse(con)
    assert record_run_history(con, instance, "this-run") == 3
    assert dict(con.execute("SELECT run_id, status FROM audit.run_log").fetchall()) == {
        "killed-run": "ABANDONED", "failed-run": "FAILURE", "this-run": "PUBLISHED"}
    assert con.execute("SELECT finished_at FROM audit.run_log WHERE run_id = 'killed-run'").fetchone() == (None,)
