"""Safe publish beside live readers: a run never damages the published warehouse, whatever happens to it.

Real processes throughout: the nightly runs as `opsready run` in a subprocess on a copy of the session's small estate,
a second process reads the published file while it runs, and `kill -9` stops runs at several steps.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

OPSREADY = str(Path(sys.executable).with_name("opsready"))


def env_for(root: Path) -> dict:
    return {**os.environ, "OPSREADY_DATA": str(root), "DAGSTER_HOME": str(root / "dagster"),
            "OPSREADY_WAREHOUSE": str(root / "warehouse" / "build" / "opsready.duckdb")}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stable(value):
    return f"{value:.10g}" if isinstance(value, float) else value


def marts_fingerprint(db: Path) -> dict[str, str]:
    """A digest of every mart's rows in a stable order (independent of how the marts were built)."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
        out = {}
        for t in tables:
            # the readiness marts of a warehouse's first run also hold every month end since the earliest data
            # (history from day one); a later night holds its own readiness date, so compare that date's rows
            latest = " where as_of = (select max(as_of) from marts.plant_readiness)" \
                if t in ("plant_readiness", "readiness_criteria") else ""
            rows = con.execute(f"select * from marts.{t}{latest}").fetchall()
            # floats to 10 significant digits: DuckDB's parallel sums may differ in the last bit between runs
            out[t] = hashlib.sha256("\n".join(sorted(repr(tuple(_stable(v) for v in r)) for r in rows))
                                    .encode()).hexdigest()
        return out


@pytest.fixture(scope="module")
def small_estate(small_nightly, tmp_path_factory) -> Path:
    """A copy of the session's small estate with its one successful nightly published (the 'last published
    warehouse')."""
    return small_nightly.copy_to(tmp_path_factory.mktemp("small") / "root")


def start_run(root: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen([OPSREADY, "run", "--no-report", "-v"], env=env_for(root), stdout=open(log, "w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(log: Path, marker: str, proc: subprocess.Popen, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise AssertionError(f"run ended before {marker!r}:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    raise AssertionError(f"{marker!r} not seen within {timeout}s")


def force_new_files(root: Path) -> None:
    """Touch a corrected re-extract so the next run has real work (a replaced file) rather than skipping all."""
    newest = sorted((root / "landing" / "erp-midstate").iterdir())[-1]
    target = next(newest.glob("COEP.csv"))
    target.write_bytes(target.read_bytes() + b"\n")


def test_reader_keeps_working_while_a_rerun_publishes_identical_marts(small_estate, tmp_path):
    """One rerun serves two checks: a second process reads the published file throughout it (and `opsready sql`
    works during it), and the rerun, which has only a byte-different but row-identical re-extract to load,
    publishes exactly the same marts and loads nothing else twice."""
    published = small_estate / "warehouse" / "opsready.duckdb"
    before = marts_fingerprint(published)
    reader_script = tmp_path / "reader.py"
    reader_script.write_text(
        "import duckdb, sys, time\n"
        f"con = duckdb.connect({str(published)!r}, read_only=True)\n"
        "n = 0\n"
        "end = time.monotonic() + float(sys.argv[1])\n"
        "while time.monotonic() < end:\n"
        "    n += con.execute('select count(*) from marts.pilot_to_scale').fetchone()[0] > 0\n"
        "    fresh = duckdb.connect(" + repr(str(published)) + ", read_only=True)\n"
        "    fresh.execute('select count(*) from raw.machine_states').fetchone(); fresh.close()\n"
        "    time.sleep(0.05)\n"
        "print('reads', n)\n"
    )
    force_new_files(small_estate)
    log = tmp_path / "run.log"
    run = start_run(small_estate, log)
    reader = subprocess.run([sys.executable, str(reader_script), "20"], capture_output=True, text=True, timeout=120)
    assert reader.returncode == 0, reader.stderr
    assert int(reader.stdout.split()[-1]) > 10
    sql = subprocess.run([OPSREADY, "sql", "select count(*) as n from marts.pilot_to_scale"],
                         env=env_for(small_estate), capture_output=True, text=True, timeout=120)
    assert sql.returncode == 0, sql.stderr  # `opsready sql` works during a run
    assert run.wait(timeout=1500) == 0, log.read_text()[-3000:]
    assert marts_fingerprint(published) == before
    with duckdb.connect(str(published), read_only=True) as con:
        last_run = con.execute("select run_id from audit.load_log order by loaded_at desc limit 1").fetchone()[0]
        statuses = dict(con.execute(
            "select status, count(*) from audit.load_log where run_id = ? group by 1", [last_run]).fetchall())
    assert statuses.get("replaced") == 1  # the re-extract
    assert set(statuses) <= {"replaced", "skipped"}  # nothing else loaded twice


# where to kill: in the middle of ingest (after the re-extract's entity committed to the working copy, before the
# others), at the start of dbt, at the start of publish
KILL_AT = {"landing": "cost_ledger file(s) new this run", "opsready_dbt_models": "opsready_dbt_models - STEP_START",
           "warehouse__published": "warehouse__published - STEP_START"}


def test_kill_9_at_any_step_leaves_the_published_warehouse_intact_and_the_next_run_recovers(small_estate, tmp_path):
    published = small_estate / "warehouse" / "opsready.duckdb"
    force_new_files(small_estate)
    for step, marker in KILL_AT.items():
        digest_before = sha256(published)
        log = tmp_path / f"run-{step}.log"
        run = start_run(small_estate, log)
        wait_for(log, marker, run)
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=60)
        if sha256(published) != digest_before:
            # only a completed os.replace may change it, and then it is a whole, valid warehouse
            assert step == "warehouse__published"
        with duckdb.connect(str(published), read_only=True) as con:
            assert con.execute("select count(*) from marts.pilot_to_scale").fetchone()[0] > 0
            assert con.execute("select count(*) from raw.machine_states").fetchone()[0] > 0
    rerun = subprocess.run([OPSREADY, "run", "--no-report"], env=env_for(small_estate), timeout=1500,
                           capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    with duckdb.connect(str(published), read_only=True) as con:
        replaced = con.execute("select count(*) from audit.load_log where status = 'replaced'").fetchone()[0]
        runs = dict(con.execute("select status, count(*) from audit.run_log group by 1").fetchall())
    assert replaced >= 1  # the corrected re-extract landed once a run completed
    assert runs.get("PUBLISHED", 0) >= 1
    assert runs.get("ABANDONED") == len(KILL_AT) and "STARTED" not in runs  # the killed runs, named so (issue 23)


def test_a_first_run_with_no_landing_files_says_so_before_dbt(tmp_path):
    """An empty OPSREADY_DATA (a new folder, or a wrong path): the landing step fails with what to do, dbt does not
    start, nothing is published; a malformed --as-of is refused before any run."""
    done = subprocess.run([OPSREADY, "run", "--no-report", "-v"], env=env_for(tmp_path), timeout=600,
                          capture_output=True, text=True)  # -v: every Dagster event on the console
    out = done.stdout + done.stderr
    assert done.returncode == 1
    assert (f"- landing: nothing to build: no landing file has ever been loaded into the warehouse, and none under "
            f"{tmp_path / 'landing'} could be loaded this run (0 found)") in done.stderr, out[-3000:]
    assert "opsready_dbt_models - STEP_START" not in out
    assert not (tmp_path / "warehouse" / "opsready.duckdb").exists()

    bad_date = subprocess.run([OPSREADY, "run", "--as-of", "2025-13-01", "--no-report"], env=env_for(tmp_path),
                              timeout=600, capture_output=True, text=True)
    assert bad_date.returncode == 2
    assert bad_date.stderr.startswith("opsready run: --as-of 2025-13-01: month must be in 1..12"), bad_date.stderr
    assert "STEP_START" not in bad_date.stdout + bad_date.stderr


def test_a_landing_file_that_cannot_be_loaded_is_quarantined_and_the_rest_publishes(small_estate):
    """A truncated re-extract of MidState's material master: the run names the file and why, quarantines it whole,
    loads and publishes everything else and exits 3; that date's rows loaded before stay as they were. (Issue 23
    changed the rule: such a file used to fail the run and publish nothing.)"""
    published = small_estate / "warehouse" / "opsready.duckdb"
    digest_before = sha256(published)
    newest = sorted((small_estate / "landing" / "erp-midstate").iterdir())[-1]
    material_master = newest / "MARC.csv"
    original = material_master.read_bytes()
    truncated = Path(__file__).resolve().parent / "bad_inputs" / "cases" / "ms_truncated" / "erp-midstate"
    material_master.write_bytes((truncated / "2023-03-31" / "MARC.csv").read_bytes())
    try:
        done = subprocess.run([OPSREADY, "run", "--no-report", "-v"], env=env_for(small_estate), timeout=1500,
                              capture_output=True, text=True)  # -v: every Dagster event on the console
    finally:
        material_master.write_bytes(original)
    out = done.stdout + done.stderr
    assert done.returncode == 3, out[-3000:]
    assert done.stderr.strip().splitlines()[-1].startswith(
        f"- erp-midstate/{newest.name}/MARC.csv: truncated file"), out[-3000:]
    assert "opsready_dbt_models - STEP_START" in out
    assert sha256(published) != digest_before  # published, with the file named in its load log
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select status, rows_loaded from audit.load_log where file = ? "
                           "order by loaded_at desc limit 1", [f"erp-midstate/{newest.name}/MARC.csv"]
                           ).fetchone() == ("quarantined", 0)
        loaded_before = con.execute("select rows_loaded from audit.load_log where file = ? and status in "
                                    "('loaded', 'replaced') order by loaded_at desc limit 1",
                                    [f"erp-midstate/{newest.name}/MARC.csv"]).fetchone()[0]
        assert con.execute("select count(*) from raw.materials where _file = ?",
                           [f"erp-midstate/{newest.name}/MARC.csv"]).fetchone()[0] == loaded_before
