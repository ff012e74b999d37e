"""Issue 23 over whole nights (`opsready run` in a subprocess on a copy of the session's small estate, real dbt,
DuckDB and Dagster): a file that cannot be mapped is quarantined whole and the night publishes everything else,
flagged in every place a user looks; the fixed file loads the next night; a profile change reloads exactly the files
it maps and the marts follow.

The tests share one estate and run in order (each night builds on the last)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest.profiles import PROFILE_DIR

OPSREADY = str(Path(sys.executable).with_name("opsready"))
BROKEN = "erp-midstate/2025-12-31/MARC.csv"  # the newest MidState material master
RESENT = "erp-midstate/2025-12-31/COEP.csv"  # a corrected re-extract the same night: the rest of the night


def env_for(root: Path) -> dict:
    return {**os.environ, "OPSREADY_DATA": str(root), "DAGSTER_HOME": str(root / "dagster"),
            "OPSREADY_WAREHOUSE": str(root / "warehouse" / "build" / "opsready.duckdb"),
            "OPSREADY_PROFILES": str(root / "profiles")}


def night(root: Path) -> tuple[int, str, str, str]:
    """(exit status, stdout, stderr, Dagster run id) of one `opsready run --no-report`."""
    done = subprocess.run([OPSREADY, "run", "--no-report"], env=env_for(root), timeout=1500, capture_output=True,
                          text=True)
    found = re.search(r"nightly run (\S+) succeeded", done.stdout)
    assert found, done.stdout[-3000:] + done.stderr[-3000:]
    return done.returncode, done.stdout, done.stderr, found.group(1)


def published(root: Path):
    return duckdb.connect(str(root / "warehouse" / "opsready.duckdb"), read_only=True)


def statuses(con, run_id: str) -> dict[str, list[str]]:
    rows = con.execute("select status, file from audit.load_log where run_id = ? order by file", [run_id]).fetchall()
    out: dict[str, list[str]] = {}
    for status, file in rows:
        out.setdefault(status, []).append(file)
    return out


def check_results(root: Path, run_id: str) -> dict[str, bool]:
    """`asset/check` → passed, for every asset check evaluated in the run (Dagster's own event log)."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(root / "dagster"))  # the instance's dagster.yaml is read relative to it
        instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(root / "dagster")))
        records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION,
                                               limit=10000).records
    out = {}
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        out[f"{'/'.join(evaluation.asset_key.path)}:{evaluation.check_name}"] = evaluation.passed
    return out


def data_rows(path: Path) -> pl.DataFrame:
    """A MidState SAP extract (';', UTF-8 with BOM), every column as text."""
    return pl.read_csv(path.read_bytes().removeprefix(b"\xef\xbb\xbf"), separator=";", infer_schema=False)


@pytest.fixture(scope="module")
def estate(small_nightly, tmp_path_factory) -> Path:
    """A copy of the session's small estate (scale 0.05, one clean night published) with its own copy of the
    profiles (the same bytes the clean night mapped its files with)."""
    root = small_nightly.copy_to(tmp_path_factory.mktemp("quarantine-night") / "root")
    shutil.copytree(PROFILE_DIR, root / "profiles")
    return root


def test_an_unmappable_file_is_quarantined_whole_the_night_publishes_the_rest_and_the_fix_loads(estate):
    landing = estate / "landing"
    material_master = landing / BROKEN
    original = material_master.read_bytes()
    # MidState's new SAP release renamed MATNR: the file cannot be mapped (a required column is missing)
    material_master.write_bytes(original.replace(b";MATNR;", b";MATERIAL;", 1))
    (landing / RESENT).write_bytes((landing / RESENT).read_bytes() + b"\n")
    code, out, err, run_id = night(estate)

    assert code == 3, out[-2000:] + err[-3000:]
    summary = err.strip().splitlines()[-2:]  # the end of the output
    assert summary[0] == ("1 file(s) quarantined whole, nothing of them loaded (audit.load_log, status "
                          "'quarantined'); everything else is published:")
    assert summary[1].startswith(f"- {BROKEN}: missing required column(s): material_id") and \
        summary[1].count("MARC.csv") == 1, summary
    with published(estate) as con:
        assert statuses(con, run_id).get("quarantined") == [BROKEN]
        assert statuses(con, run_id).get("replaced") == [RESENT]  # the rest of the night loaded and published
        assert set(statuses(con, run_id)) == {"quarantined", "replaced", "skipped"}
        row = con.execute("select rows_read, rows_loaded, rows_quarantined, reason, message from audit.load_log "
                          "where run_id = ? and file = ?", [run_id, BROKEN]).fetchone()
        assert row[:4] == (0, 0, 0, "file_unreadable") and row[4] == summary[1][2:]
        # the rows of that date's earlier, good extract stay loaded
        good_before = con.execute("select rows_loaded from audit.load_log where file = ? and status = 'loaded'",
                                  [BROKEN]).fetchone()[0]
        assert good_before > 0
        assert con.execute("select count(*) from raw.materials where _file = ?", [BROKEN]).fetchone()[0] == good_before
        assert con.execute("select count(*) from audit.run_log where run_id = ? and status = 'PUBLISHED'",
                           [run_id]).fetchone()[0] == 1
    checks = check_results(estate, run_id)
    assert checks["audit/source_freshness:erp_midstate_files_loaded"] is False
    # the five sample sources (erp-adventureworks, the onboarding example, never delivers to this landing folder)
    assert {k: v for k, v in checks.items() if k.endswith("_files_loaded") and "adventureworks" not in k} == {
        f"audit/source_freshness:{s}_files_loaded": s != "erp_midstate"
        for s in ("erp_globaltech", "erp_midstate", "mes_globaltech", "mes_midstate", "pilots")}

    # the next night, with the file fixed (new bytes: the original with one description corrected), loads it
    source = pl.read_csv(original.removeprefix(b"\xef\xbb\xbf"), separator=";", infer_schema=False)
    old_text = source["MAKTX"][0]
    fixed = original.replace(f";{old_text};".encode(), f";{old_text} (corrected);".encode(), 1)
    material_master.write_bytes(fixed)
    code, out, err, run_id = night(estate)
    assert code == 0, out[-2000:] + err[-3000:]
    with published(estate) as con:
        assert statuses(con, run_id).get("replaced") == [BROKEN] and "quarantined" not in statuses(con, run_id)
        read, loaded, quarantined = con.execute(
            "select rows_read, rows_loaded, rows_quarantined from audit.load_log where run_id = ? and file = ?",
            [run_id, BROKEN]).fetchone()
        assert read == source.height and loaded + quarantined == read
        assert con.execute("select count(*) from raw.materials where _file = ?", [BROKEN]).fetchone()[0] == loaded
        assert con.execute("select description from raw.materials where _file = ? and _row = 1",
                           [BROKEN]).fetchone() == (f"{old_text} (corrected)",)
    assert all(check_results(estate, run_id)[f"audit/source_freshness:{s}_files_loaded"]
               for s in ("erp_globaltech", "erp_midstate", "mes_globaltech", "mes_midstate", "pilots"))


def test_a_profile_change_reloads_exactly_its_files_and_the_marts_follow(estate):
    """MidState's unit ST is remapped from EA to STK (not an allowed unit): every MidState material-master extract
    reloads, nothing else does, and the materials failing `base_uom_allowed` on the readiness date gain exactly the
    newest extract's ST materials."""

    def failing_uom(con) -> set[tuple[str, str]]:
        return set(con.execute("select plant_id, record_key from marts.mdq_failing_records "
                               "where entity = 'materials' and rule = 'base_uom_allowed' "
                               "and as_of = (select max(as_of) from marts.mdq_failing_records)").fetchall())

    with published(estate) as con:
        before = failing_uom(con)
        as_of = con.execute("select max(as_of) from marts.mdq_failing_records").fetchone()[0]
    profile = estate / "profiles" / "erp-midstate.yaml"
    text = profile.read_text(encoding="utf-8")
    changed = text.replace("base_uom: {ST: EA,", "base_uom: {ST: STK,")
    assert changed != text
    profile.write_text(changed, encoding="utf-8")
    code, out, err, run_id = night(estate)
    assert code == 0, out[-2000:] + err[-3000:]
    material_masters = sorted(p.relative_to(estate / "landing").as_posix()
                              for p in (estate / "landing" / "erp-midstate").glob("*/MARC.csv"))
    with published(estate) as con:
        done = statuses(con, run_id)
        assert set(done) == {"replaced", "skipped"}
        assert done["replaced"] == material_masters
        assert not set(done["skipped"]) & set(material_masters)
        reasons = con.execute("select distinct reason, split_part(message, ';', 1) from audit.load_log "
                              "where run_id = ? and status = 'replaced'", [run_id]).fetchall()
        assert reasons == [("profile_changed", "reloaded: profile erp-midstate.yaml changed")]
        after = failing_uom(con)
        quarantined_rows = {r[0] for r in con.execute(
            "select distinct q.\"row\" from audit.quarantine q join audit.load_log l using (load_id) "
            "where l.run_id = ? and q.file = ?", [run_id, f"erp-midstate/{as_of}/MARC.csv"]).fetchall()}
    newest = data_rows(estate / "landing" / "erp-midstate" / str(as_of) / "MARC.csv").with_row_index("row", 1)
    st = {(plant, material) for row, plant, material, unit in newest.select("row", "WERKS", "MATNR", "MEINS")
          .iter_rows() if unit == "ST" and row not in quarantined_rows}
    assert st, "the sample's MidState materials use ST"
    assert after - before == st
    assert before <= after
