"""Bad input at read and typing level, one test per class, each through the real load into a real DuckDB: the
message, the quarantine reason and rows read = rows loaded + rows quarantined. Files are written here byte by
byte; expected values are read off them by hand."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import yaml

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from ingest import load_entity  # noqa: E402
from ingest.profiles import PROFILE_DIR  # noqa: E402

STATES_HEADER = "site,resource,start_utc,end_utc,status,reason_code"
MARC_HEADER = "WERKS;MATNR;MTART;MEINS;MAKTX;STPRS;PLIFZ;BESKZ;LAEDA"
EXTRACT_DATE = "2025-03-31"


def land(tmp_path: Path, source: str, name: str, data: bytes, extract_date: str = EXTRACT_DATE) -> Path:
    target = tmp_path / "landing" / source / extract_date / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return tmp_path / "landing"


def load(tmp_path: Path, entity: str, profile_dir: Path = PROFILE_DIR):
    con = duckdb.connect()
    results = load_entity(con, entity, tmp_path / "landing", "run-1", profile_dir=profile_dir)
    log = con.execute("SELECT status, rows_read, rows_loaded, rows_quarantined, message FROM audit.load_log").fetchall()
    quarantine = con.execute('SELECT "row", "column", raw_value, reason FROM audit.quarantine ORDER BY 1, 2').fetchall()
    return results, log, quarantine, con


def profile_copy(tmp_path: Path, name: str, **format_changes) -> Path:
    """A copy of a shipped profile with changed format keys, in a folder of its own."""
    folder = tmp_path / "profiles"
    folder.mkdir(exist_ok=True)
    doc = yaml.safe_load((PROFILE_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    doc["format"].update(format_changes)
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return folder


def states_csv(*rows: str) -> bytes:
    return ("\n".join([STATES_HEADER, *rows]) + "\n").encode("utf-8")


def test_implausible_timestamps_are_quarantined(tmp_path):
    land(tmp_path, "mes-globaltech", "machine_states.csv", states_csv(
        "G100,WC-1,2025-03-30T08:00:00Z,2025-03-30T09:00:00Z,Run,",
        "G100,WC-1,2025-03-30T09:00:00Z,2099-12-31T23:00:00Z,Breakdown,BRK-MECH",  # a typo'd year
        "G100,WC-1,2025-04-01T02:00:00Z,2025-04-01T03:00:00Z,Run,",  # the day after the extract: within the margin
        "G100,WC-1,1899-12-30T00:00:00Z,1899-12-30T01:00:00Z,Run,"))  # before plausible_from
    results, log, quarantine, _ = load(tmp_path, "machine_states")
    assert log[0][:4] == ("loaded", 4, 2, 2)
    assert quarantine == [(2, "ended_at", "2099-12-31T23:00:00Z", "implausible_date"),
                          (4, "ended_at", "1899-12-30T01:00:00Z", "implausible_date"),
                          (4, "started_at", "1899-12-30T00:00:00Z", "implausible_date")]


def test_the_plausibility_window_is_set_in_the_profile(tmp_path):
    profiles = profile_copy(tmp_path, "mes-globaltech", plausible_days_after_extract=0)
    land(tmp_path, "mes-globaltech", "machine_states.csv", states_csv(
        "G100,WC-1,2025-03-31T22:00:00Z,2025-03-31T23:59:59Z,Run,",  # the extract date itself
        "G100,WC-1,2025-04-01T02:00:00Z,2025-04-01T03:00:00Z,Run,"))  # the next day: now after the window
    _, log, quarantine, _ = load(tmp_path, "machine_states", profiles)
    assert log[0][:4] == ("loaded", 2, 1, 1)
    assert [q[3] for q in quarantine] == ["implausible_date", "implausible_date"] and {q[0] for q in quarantine} == {2}


def test_control_characters_quarantine_ids_and_leave_text_stripped(tmp_path):
    land(tmp_path, "mes-globaltech", "machine_states.csv", states_csv(
        "G100,WC-1,2025-03-30T08:00:00Z,2025-03-30T09:00:00Z,Run,",
        "G100,WC\x00-1,2025-03-30T09:00:00Z,2025-03-30T10:00:00Z,Run,"))  # a NUL inside the work center id
    _, log, quarantine, con = load(tmp_path, "machine_states")
    assert log[0][:4] == ("loaded", 2, 1, 1)
    assert quarantine == [(2, "work_center_id", "WC\\x00-1", "control_character")]
    assert con.execute("SELECT DISTINCT work_center_id FROM raw.machine_states").fetchall() == [("WC-1",)]

    land(tmp_path, "mes-globaltech", "downtime_reasons.csv",
         "site,code,category,description\nG100,BRK-MECH,mechanical,Mechanical\x07 failure\tlong\n".encode())
    _, log, quarantine, con = load(tmp_path, "reason_codes")
    assert log[-1][:4] == ("loaded", 1, 1, 0) and quarantine == []
    assert con.execute("SELECT description FROM raw.reason_codes").fetchone()[0] == "Mechanical failure\tlong"


def test_utf16_with_byte_order_mark_is_named_as_such(tmp_path):
    text = f"{MARC_HEADER}\nM100;A1;FERT;ST;Gehäuse;12,50;5;E;31.03.2025 10:00:00\n"
    land(tmp_path, "erp-midstate", "MARC.csv", text.encode("utf-16"))  # Python writes the BOM FF FE first
    results, log, quarantine, _ = load(tmp_path, "materials")
    assert log[0][:4] == ("quarantined", 0, 0, 0) and quarantine == []
    assert results[0].message == (
        f"erp-midstate/{EXTRACT_DATE}/MARC.csv: wrong encoding: the file is UTF-16 little-endian (it starts with the "
        "byte order mark FF FE); the profile says utf-8-sig: set format.encoding: utf-16")
    # the same file under a profile that says utf-16 loads
    profiles = profile_copy(tmp_path, "erp-midstate", encoding="utf-16")
    _, log, _, con = load(tmp_path, "materials", profiles)
    assert log[0][:4] == ("loaded", 1, 1, 0)
    assert con.execute("SELECT description, standard_cost FROM raw.materials").fetchone() == ("Gehäuse", 12.5)


def test_zero_byte_file_fails_with_one_clear_message(tmp_path):
    land(tmp_path, "erp-midstate", "MARC.csv", b"")
    results, log, _, _ = load(tmp_path, "materials")
    assert log[0][:4] == ("quarantined", 0, 0, 0)
    message = results[0].message
    assert message.startswith(f"erp-midstate/{EXTRACT_DATE}/MARC.csv: empty file: no header and no rows (0 bytes")
    assert message.count("MARC.csv") == 1 and "Traceback" not in message


def test_duplicate_header_names_fail_the_file(tmp_path):
    land(tmp_path, "erp-midstate", "MARC.csv",
         (f"{MARC_HEADER};MATNR\nM100;A1;FERT;ST;Bolt;1,00;5;E;31.03.2025 10:00:00;B7\n").encode("utf-8"))
    results, log, _, _ = load(tmp_path, "materials")
    assert log[0][:4] == ("quarantined", 0, 0, 0)
    assert results[0].message == (f"erp-midstate/{EXTRACT_DATE}/MARC.csv: ambiguous header: column name(s) 'MATNR' "
                                  "appear more than once; the source system must name each column once")


def test_missing_columns_name_the_file_once_show_the_header_and_hint(tmp_path):
    # a file without its header row: its first data row stands where the header should be
    land(tmp_path, "erp-midstate", "MARC.csv",
         b"M100;A1;FERT;ST;Bolt;1,00;5;E;31.03.2025 10:00:00\nM100;SECRET-2;ROH;ST;Nut;0,10;5;F;31.03.2025 10:00:00\n")
    results, log, _, _ = load(tmp_path, "materials")
    assert log[0][:4] == ("quarantined", 0, 0, 0)
    message = results[0].message
    assert message.count("MARC.csv") == 1
    assert "missing required column(s): plant_id (header 'WERKS'), material_id (header 'MATNR')" in message
    assert "the header row reads: M100, A1, FERT, ST, Bolt, 1,00, 5, E, 31.03.2025 10:00:00" in message
    assert "no header row?" in message
    assert "SECRET-2" not in message  # never more of the file than its first row


def test_a_report_with_title_lines_but_no_header_row_is_an_empty_file(tmp_path):
    # the profile skips two title lines above the header; these files hold the titles and nothing else
    profiles = profile_copy(tmp_path, "mes-globaltech", skip_rows=2)
    for day, data in (("2025-01-31", b"Machine states\nexported 2025-01-31\n"), ("2025-02-28", b"Machine states\n")):
        land(tmp_path, "mes-globaltech", "machine_states.csv", data, extract_date=day)
    # and one with the header as its last, unterminated line: it loads, with no rows
    land(tmp_path, "mes-globaltech", "machine_states.csv", b"Machine states\nexported\n" + STATES_HEADER.encode())
    results, log, _, _ = load(tmp_path, "machine_states", profile_dir=profiles)
    assert [r.status for r in results] == ["quarantined", "quarantined", "loaded"]
    assert results[0].message == ("mes-globaltech/2025-01-31/machine_states.csv: empty file: fewer than 3 lines, "
                                  "no header row")
    assert results[1].message.endswith("machine_states.csv: empty file: fewer than 3 lines, no header row")
    assert sorted(row[:4] for row in log) == [("loaded", 0, 0, 0), ("quarantined", 0, 0, 0), ("quarantined", 0, 0, 0)]


def test_reason_codes_differing_only_in_case_load_as_one_code(tmp_path):
    land(tmp_path, "mes-globaltech", "downtime_reasons.csv",
         b"site,code,category,description\nG100,BRK-MECH,mechanical,Mechanical\n")
    land(tmp_path, "mes-globaltech", "machine_states.csv", states_csv(
        "G100,WC-1,2025-03-30T08:00:00Z,2025-03-30T09:00:00Z,Breakdown,brk-mech",
        "G100,WC-1,2025-03-30T09:00:00Z,2025-03-30T10:00:00Z,Breakdown,Brk-Mech"))
    con = duckdb.connect()
    load_entity(con, "reason_codes", tmp_path / "landing", "run-1")
    load_entity(con, "machine_states", tmp_path / "landing", "run-1")
    assert con.execute("SELECT count(*) FROM raw.machine_states s JOIN raw.reason_codes c USING (plant_id, reason_code)"
                       ).fetchone()[0] == 2
    assert con.execute("SELECT DISTINCT reason_code FROM raw.machine_states").fetchall() == [("BRK-MECH",)]
