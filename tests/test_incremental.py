"""Incremental nightly (issue 8): a nightly with a new day and a corrected re-extract equals a full rebuild.

A copy of the session's small estate (conftest `small_nightly`: scale 0.05, one full nightly); then the next day of
MES data lands (opsready.sample.extend) and an old MES extract is corrected (every 10th row dropped from one month's
GlobalTech machine-state file), and the nightly runs again, incrementally. A copy of that warehouse rebuilt with
`dbt run --full-refresh` over the MES chain must hold the same rows in every model of the chain; the incremental run
must have rewritten only the plant-days of the new day and of the corrected month (each ± 1 day), leaving every other
row of the day-grain models as it was. A last night with nothing new runs no dbt model and no test (dbt's state
comparison finds nothing changed), leaves every model as it was, and still publishes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

import ingest
from opsready.paths import Settings
from orchestration import runtime
from orchestration.definitions import build_definitions
from orchestration.transform.project import dbt_executable, dbt_target_dir, prepare_manifest
from tests.conftest import SMALL_SCALE, dbt_nodes, pointed_at
from tests.test_quarantine_night import check_results

REPO = Path(__file__).resolve().parents[1]
NEW_DAY = date(2026, 1, 1)
CORRECTED = "mes-globaltech/2025-06-30/machine_states.csv"
CORRECTED_MONTH = (date(2025, 6, 1), date(2025, 6, 30))
CHAIN = ["int_machine_state_daily", "int_production_counts_daily"]


def _env(root: Path) -> dict:
    env = dict(os.environ, OPSREADY_DATA=str(root), DAGSTER_HOME=str(root / "dagster"),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false", DAGSTER_DISABLE_TELEMETRY="1")
    env.pop("OPSREADY_WAREHOUSE", None)
    return env


def _nightly(root: Path, *args: str) -> dict:
    """Run a nightly; return the names of the data tests ("test") and models ("model") its dbt build ran (from
    dagster-dbt's run folder, which is named after the Dagster run id the CLI prints), the run id and the console."""
    done = subprocess.run([sys.executable, "-m", "opsready.cli", "run", "--no-report", *args], env=_env(root),
                          capture_output=True, text=True, timeout=900, cwd=REPO)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run_id = re.search(r"nightly run (\S+) succeeded", done.stdout).group(1)
    return {**dbt_nodes(run_id), "run_id": run_id, "console": done.stderr}


def _snapshot(root: Path, name: str) -> Path:
    copy = root / f"{name}.duckdb"
    shutil.copyfile(root / "warehouse" / "opsready.duckdb", copy)
    return copy


@pytest.fixture(scope="module")
def runs(small_nightly, tmp_path_factory):
    from opsready.sample.extend import extend_one_day

    root = small_nightly.copy_to(tmp_path_factory.mktemp("incremental") / "root")
    first = small_nightly.dbt
    before = _snapshot(root, "before")
    extension = extend_one_day(root)
    corrected = root / "landing" / CORRECTED
    original = pl.read_csv(corrected, infer_schema_length=0)
    instants = pl.concat([original["start_utc"], original["end_utc"]]).str.to_datetime(strict=False).drop_nulls()
    corrected_span = (instants.min().date(), instants.max().date())  # UTC days the corrected extract covers
    lines = corrected.read_bytes().split(b"\n")
    kept = [lines[0]] + [line for i, line in enumerate(lines[1:], 1) if i % 10 != 0]
    corrected.write_bytes(b"\n".join(kept))
    second = _nightly(root)
    after = _snapshot(root, "after")
    rebuilt = _full_rebuild(root, after, "rebuilt")
    return dict(root=root, before=before, after=after, rebuilt=rebuilt, extension=extension,
                corrected_span=corrected_span, first_tests=first["test"], second_tests=second["test"],
                first_models=first["model"], second_models=second["model"])


def _full_rebuild(root: Path, night: Path, name: str) -> Path:
    """A copy of `night`'s warehouse with every MES-chain and incremental MDQ model (and what reads them) rebuilt
    from scratch (`dbt run --full-refresh`): the same data, computed without the incremental logic."""
    from opsready.gates import dbt_vars

    rebuilt = root / f"{name}.duckdb"
    shutil.copyfile(night, rebuilt)
    env = dict(_env(root), OPSREADY_WAREHOUSE=str(rebuilt))
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "run", "--full-refresh", "--select", "int_mes_load_footprint+",
         "int_mdq_input_fingerprint+", "--exclude", "readiness_history", "--vars", json.dumps(dbt_vars()),
         "--project-dir", "dbt_project", "--profiles-dir", "dbt_project", "--target-path", str(root / "target"),
         "--log-path", str(root / "logs")],
        env=env, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stdout[-3000:]
    return rebuilt


def _rows(db: Path, query: str) -> list:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query).fetchall()


def _diff(a: Path, b: Path, table: str, exclude: str = "") -> tuple[int, int, int]:
    cols = f"* exclude ({exclude})" if exclude else "*"
    with duckdb.connect(str(a), read_only=True) as con:
        con.execute(f"attach '{b}' as other (read_only)")
        n = con.execute(f"select count(*) from {table}").fetchone()[0]
        only_a = con.execute(f"select count(*) from (select {cols} from {table} except all "
                             f"select {cols} from other.{table})").fetchone()[0]
        only_b = con.execute(f"select count(*) from (select {cols} from other.{table} except all "
                             f"select {cols} from {table})").fetchone()[0]
    return n, only_a, only_b


def test_the_new_day_and_the_correction_were_loaded(runs):
    log = dict(_rows(runs["after"], "select file, status from audit.load_log where status in ('loaded','replaced') "
                                    "and (extract_date = date '2026-01-01' or file = ?)".replace("?", f"'{CORRECTED}'")))
    assert log[CORRECTED] == "replaced"
    assert {f["path"].removeprefix("landing/") for f in runs["extension"]["files"]} <= set(log)
    # every work center in the new day's files has an OEE row on the new plant-local day
    from opsready.sample.extend import day_frames

    states, _ = day_frames(NEW_DAY, seed=7, scale=SMALL_SCALE)  # the generator's clean rows of the new day
    wcs = set(states.select("plant_id", "work_center_id").unique().iter_rows())
    have = set(_rows(runs["after"], "select plant_id, work_center_id from marts.fct_oee_daily "
                                    "where day = date '2026-01-01'"))
    assert len(wcs) > 10
    assert wcs <= have, sorted(wcs - have)


OEE_MARTS = ["marts.fct_oee_daily", "marts.oee_rollup", "marts.downtime_by_reason_monthly"]


@pytest.mark.parametrize("table", OEE_MARTS)
def test_marts_equal_a_full_rebuild(runs, table):
    n, only_incremental, only_rebuilt = _diff(runs["after"], runs["rebuilt"], table)
    assert n > 0
    assert (only_incremental, only_rebuilt) == (0, 0)


@pytest.mark.parametrize("model", CHAIN)
def test_intermediates_equal_a_full_rebuild(runs, model):
    n, only_incremental, only_rebuilt = _diff(runs["after"], runs["rebuilt"], f"intermediate.{model}",
                                              exclude="dbt_invocation_id")
    assert n > 0
    assert (only_incremental, only_rebuilt) == (0, 0)


@pytest.mark.parametrize("table", ["intermediate.int_mdq_materials_as_of", "intermediate.int_mdq_materials_checks",
                                   "intermediate.int_mdq_bom_checks", "intermediate.int_mdq_equipment_checks",
                                   "intermediate.int_mdq_work_centers_checks",
                                   "intermediate.int_mdq_production_orders_checks",
                                   "intermediate.int_mdq_record_dimensions",
                                   "intermediate.int_mdq_plant_entity_dimensions", "marts.plant_mdq",
                                   "marts.plant_entity_mdq", "marts.mdq_failing_records"])
def test_incremental_mdq_equals_a_full_rebuild(runs, table):
    # the second night computed only its new readiness date; every other as_of was kept from the first night
    n, only_incremental, only_rebuilt = _diff(runs["after"], runs["rebuilt"], table)
    assert n > 0
    assert (only_incremental, only_rebuilt) == (0, 0)
    dates = {d for (d,) in _rows(runs["after"], f"select distinct as_of from {table}")}
    assert NEW_DAY in dates  # the new readiness date is measured, and no date that is no longer an MDQ date is kept
    assert dates <= {d for (d,) in _rows(runs["after"], "select as_of from intermediate.int_mdq_as_of_dates")}


def test_the_corrected_month_changed(runs):
    # dropping a tenth of the June intervals must show in June's counted time (else the test proves nothing)
    query = ("select sum(pbt_s + planned_stop_s + no_order_s) from marts.fct_oee_daily where company = 'GlobalTech' "
             "and day between date '2025-06-05' and date '2025-06-25'")
    assert _rows(runs["after"], query)[0][0] < _rows(runs["before"], query)[0][0]


@pytest.mark.parametrize("model", CHAIN)
def test_only_touched_days_were_rewritten(runs, model):
    table = f"intermediate.{model}"
    (first_run,), = _rows(runs["before"], f"select distinct dbt_invocation_id from {table}")
    rewritten = _rows(runs["after"], f"select distinct day from {table} where dbt_invocation_id <> '{first_run}'")
    allowed = {NEW_DAY + timedelta(days=d) for d in (-1, 0, 1)}
    if model != "int_production_counts_daily":  # the correction is of machine states only
        start, end = runs["corrected_span"]  # its intervals run on past the month end; ± 1 day for time zones
        assert start >= CORRECTED_MONTH[0] - timedelta(days=1) and end <= CORRECTED_MONTH[1] + timedelta(days=10)
        allowed |= {start + timedelta(days=d) for d in range(-1, (end - start).days + 2)}
    days = {d for (d,) in rewritten}
    assert NEW_DAY in days
    assert days <= allowed, sorted(days - allowed)
    # and every other row is exactly as the first night wrote it
    outside = ("day not in (" + ", ".join(f"date '{d}'" for d in sorted(allowed)) + ")")
    with duckdb.connect(str(runs["after"]), read_only=True) as con:
        con.execute(f"attach '{runs['before']}' as b (read_only)")
        changed = con.execute(f"select count(*) from (select * from {table} where {outside} except all "
                              f"select * from b.{table} where {outside})").fetchone()[0]
        kept = con.execute(f"select count(*) from {table} where {outside}").fetchone()[0]
    assert kept > 0 and changed == 0


REPROCESSED = "2024-03-31"  # one MES extract date, recomputed on purpose with nothing new landed


@pytest.fixture(scope="module")
def reprocessed(runs):
    root = runs["root"]
    built = _nightly(root, "--reprocess-from", REPROCESSED, "--reprocess-to", REPROCESSED)
    return dict(db=_snapshot(root, "reprocessed"), tests=built["test"], models=built["model"])


def test_reprocess_recomputes_exactly_that_extract_dates_days(runs, reprocessed):
    table = "intermediate.int_machine_state_daily"
    (lo, hi), = _rows(runs["after"], "select min(started_at)::date, max(ended_at)::date from raw.machine_states "
                                     f"where _extract_date = date '{REPROCESSED}'")
    with duckdb.connect(str(reprocessed["db"]), read_only=True) as con:
        con.execute(f"attach '{runs['after']}' as a (read_only)")
        rewritten = {d for (d,) in con.execute(
            f"select distinct day from {table} where dbt_invocation_id not in "
            f"(select distinct dbt_invocation_id from a.{table})").fetchall()}
    assert date(2024, 3, 15) in rewritten
    assert min(rewritten) >= lo - timedelta(days=1) and max(rewritten) <= hi + timedelta(days=1), sorted(rewritten)
    # same data, so the recomputed rows and the marts are what they were
    assert _diff(reprocessed["db"], runs["after"], table, exclude="dbt_invocation_id")[1:] == (0, 0)
    assert _diff(reprocessed["db"], runs["after"], "marts.fct_oee_daily")[1:] == (0, 0)


def test_reprocess_refuses_a_reversed_range(runs):
    done = subprocess.run([sys.executable, "-m", "opsready.cli", "run", "--reprocess-from", "2024-03-31",
                           "--reprocess-to", "2024-03-01"], env=_env(runs["root"]), capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert done.returncode == 2
    assert "--reprocess-from 2024-03-31 is after --reprocess-to 2024-03-01" in done.stderr


def _reached_by(root: Path, selection: str, target: Path) -> set[str]:
    """The models and data tests dbt's own selector syntax selects (`dbt ls`, parsing into its own `target`), by
    name."""
    done = subprocess.run([dbt_executable(), "ls", "--quiet", "--output", "name", "--select", selection,
                           "--resource-type", "model", "--resource-type", "test"],
                          env={**_env(root), "DBT_TARGET_PATH": str(target)},
                          capture_output=True, text=True, timeout=300, cwd=REPO / "dbt_project", check=True)
    return set(done.stdout.split())


def test_a_night_builds_what_its_new_rows_reach_and_a_reprocessing_night_everything(runs, reprocessed, tmp_path):
    # the heavy models skip unchanged work by themselves (incremental); a night leaves out only what no new row reaches
    models, tests = set(runs["first_models"]), set(runs["first_tests"])
    assert len({m for m in models if m.startswith("stg_")}) == 22  # every staging view (dbt_project.yml)
    assert len(tests) > 100
    assert (set(reprocessed["models"]), set(reprocessed["tests"])) == (models, tests)
    # The +1-day night landed MES machine states and counts (and corrected one machine-state file): what dbt's own
    # graph selection puts downstream of those raw tables and of the load log is built, nothing else.
    reached = _reached_by(runs["root"], "source:raw.machine_states+ source:raw.production_counts+ source:audit+",
                          tmp_path / "target")
    second_models, second_tests = set(runs["second_models"]), set(runs["second_tests"])
    assert (second_models, second_tests) == (models & reached, tests & reached)
    assert {m for m in second_models if m.startswith("stg_")} == {"stg_mes__machine_states",
                                                                   "stg_mes__production_counts"}
    assert "stg_erp__materials" in models - second_models and "plant_readiness" in second_models
    assert len(tests - second_tests) > 50
    # among them the MES rows' relationship to the ERP work centers, although that master stands as published
    assert "stg_erp__work_centers" not in second_models
    assert {t for t in second_tests if t.startswith("relationships_stg_mes__")} == {
        f"relationships_stg_mes__{entity}_work_center_id__work_center_id__ref_stg_erp__work_centers_"
        for entity in ("machine_states", "production_counts")}


@pytest.fixture(scope="module")
def master_changed(runs, reprocessed):
    """A later night on which only master data changes: the latest MidState work-center extract (SAP CRHD) is
    corrected, halving one work center's ideal cycle time (VGW01). Every OEE row of that work center, back to the
    first day, must change, with nothing new in MES."""
    root = runs["root"]
    extract = sorted((root / "landing" / "erp-midstate").glob("*/CRHD.csv"))[-1]
    header, *lines = extract.read_text(encoding="utf-8-sig").split("\n")
    columns = header.split(";")
    row = lines[0].split(";")
    work_center, old_cycle = row[columns.index("ARBPL")], float(row[columns.index("VGW01")].replace(",", "."))
    row[columns.index("VGW01")] = f"{old_cycle / 2:.1f}".replace(".", ",")
    extract.write_text("\n".join([header, ";".join(row), *lines[1:]]), encoding="utf-8-sig")
    built = _nightly(root)
    night = _snapshot(root, "master_changed")
    return dict(db=night, rebuilt=_full_rebuild(root, night, "master_changed_rebuilt"), work_center=work_center,
                old_cycle=old_cycle, models=built["model"])


@pytest.mark.parametrize("table", OEE_MARTS)
def test_a_master_data_change_equals_a_full_rebuild(master_changed, table):
    n, only_incremental, only_rebuilt = _diff(master_changed["db"], master_changed["rebuilt"], table)
    assert n > 0
    assert (only_incremental, only_rebuilt) == (0, 0)


def test_a_master_data_change_reaches_every_day_of_history(runs, reprocessed, master_changed):
    query = ("select min(day), max(day), count(*), min(ideal_cycle_time_s), max(ideal_cycle_time_s) "
             f"from marts.fct_oee_daily where work_center_id = '{master_changed['work_center']}'")
    (first_day, last_day, days, low, high), = _rows(master_changed["db"], query)
    assert (low, high) == (master_changed["old_cycle"] / 2, master_changed["old_cycle"] / 2)
    assert _rows(reprocessed["db"], query)[0] == (first_day, last_day, days, master_changed["old_cycle"],
                                                  master_changed["old_cycle"])
    assert first_day < date(2025, 1, 1) and days > 300


@pytest.fixture(scope="module")
def quiet(runs, master_changed):
    """One more night with nothing new landed (every landing file is skipped, the vars are the same) on a project
    whose files differ from the published build's only where dbt's state comparison does not look (say, a thread
    count in profiles.yml): simulated by the project fingerprint recorded with the published build no longer
    matching. The run cannot leave dbt out (build_state.quiet_night), so dbt's state comparison decides."""
    root = runs["root"]
    with duckdb.connect(str(root / "warehouse" / "opsready.duckdb")) as con:
        con.execute("update audit.dbt_build_state set project_fingerprint = 'edited since'")
    built = _nightly(root)
    return dict(db=_snapshot(root, "quiet"), before=master_changed["db"], built=built,
                previous_models=runs["first_models"])


@pytest.fixture(scope="module")
def quiet_unchanged(runs, quiet):
    """The night after `quiet`: nothing new, the same vars, and the project byte for byte the published build's. The
    command's console, the run id, the landing files' outcomes in this run, and snapshots around it."""
    root = runs["root"]
    published = root / "warehouse" / "opsready.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        unloaded_before = ingest.unloaded_files(con, root / "landing")
    done = subprocess.run([sys.executable, "-m", "opsready.cli", "run", "--no-report"], env=_env(root),
                          capture_output=True, text=True, timeout=900, cwd=REPO)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run_id = re.search(r"nightly run (\S+) succeeded", done.stdout).group(1)
    outcomes = _rows(published, f"select status, count(*) from audit.load_log where run_id = '{run_id}' group by 1")
    return dict(db=_snapshot(root, "quiet_unchanged"), before=quiet["db"], run_id=run_id, console=done.stderr,
                outcomes=dict(outcomes), unloaded_before=unloaded_before, landing_files=len(ingest.discover(
                    root / "landing")))


def test_a_quiet_night_on_an_unchanged_project_leaves_dbt_out(quiet_unchanged, runs):
    # dbt never started: dagster-dbt names a run folder after every run whose dbt step ran
    assert not list(dbt_target_dir().glob(f"opsready_dbt_models-{quiet_unchanged['run_id'][:7]}-*"))
    # the landing step ran and skipped every file; nothing was unloaded before it either
    assert quiet_unchanged["unloaded_before"] == []
    assert quiet_unchanged["outcomes"] == {"skipped": quiet_unchanged["landing_files"]}
    # no dbt test was evaluated (no check on a model), the landing checks were
    evaluated = check_results(runs["root"], quiet_unchanged["run_id"])
    assert evaluated and all(key.startswith("raw/") or key.startswith("audit/") for key in evaluated), evaluated
    lines = quiet_unchanged["console"].splitlines()
    assert any("dbt build: not run: nothing new landed and the dbt project is unchanged" in line for line in lines)
    assert not any("nodes done" in line for line in lines)


def test_a_quiet_night_on_an_unchanged_project_publishes_the_same_models_and_verdict(quiet_unchanged, quiet):
    with duckdb.connect(str(quiet_unchanged["db"]), read_only=True) as con:
        tables = [f"{s}.{t}" for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('intermediate', 'marts')").fetchall()]
    assert len(tables) > 40
    for table in tables + ["audit.readiness_history", "audit.nightly_snapshot", "audit.dbt_build_state"]:
        assert _diff(quiet_unchanged["db"], quiet_unchanged["before"], table)[1:] == (0, 0), table
    assert _rows(quiet_unchanged["db"], "select status from audit.run_log where run_id = "
                                        f"'{quiet_unchanged['run_id']}'") == [("PUBLISHED",)]
    # the verdict (plants, rows quarantined tonight: none, dbt warnings of the build that stands) is the night
    # before's, whose dbt build reported its warnings itself
    verdict = re.compile(r"^published; .*$", re.M)
    before = verdict.search(quiet["built"]["console"]).group(0)
    assert verdict.search(quiet_unchanged["console"]).group(0) == before
    assert re.search(r"; [1-9]\d* dbt warnings?$", before), before


def test_a_file_landing_after_a_quiet_night_was_decided_is_not_published_without_dbt(quiet_unchanged, runs,
                                                                                     tmp_path):
    """The run leaves dbt out when nothing is new; if a file lands after that decision, its landing step loads it
    and publishing refuses the night, so the marts never lag raw (the next night loads and builds it). The same run
    selection as a quiet night, in process, with one more MES day landed first."""
    from opsready.sample.extend import extend_one_day

    root = tmp_path / "root"
    shutil.copytree(runs["root"] / "landing", root / "landing")
    shutil.copyfile(runs["root"] / "manifest.json", root / "manifest.json")
    (root / "warehouse").mkdir()
    published = root / "warehouse" / "opsready.duckdb"
    shutil.copyfile(quiet_unchanged["db"], published)
    landed = {f["path"].removeprefix("landing/") for f in extend_one_day(root)["files"]}
    with duckdb.connect(str(published), read_only=True) as con:
        assert set(ingest.unloaded_files(con, root / "landing")) == landed
    before = published.read_bytes()
    with pointed_at(root):
        settings = Settings.from_env()
        runtime.start_process(settings)
        prepare_manifest(settings)
        job = build_definitions(settings).resolve_job_def("warehouse_only")
        graph = job.asset_layer.asset_graph
        dbt_keys = set(graph.assets_def_for_key(dg.AssetKey(["marts", "plant_readiness"])).keys)
        with dg.DagsterInstance.get() as instance:
            result = job.execute_in_process(instance=instance, raise_on_error=False,
                                            asset_selection=sorted(graph.executable_asset_keys - dbt_keys))
    failures = runtime.step_failure_lines(result)
    assert not result.success and len(failures) == 1, failures
    assert failures[0].startswith("- warehouse__published: not published; the last published warehouse is "
                                  "unchanged: landing files were loaded"), failures
    assert published.read_bytes() == before


def test_a_night_with_nothing_new_runs_no_model_and_no_test(quiet):
    # dbt's state comparison against the published build selected nothing: the project did not change
    assert (quiet["built"]["model"], quiet["built"]["test"]) == ([], [])
    assert len(quiet["previous_models"]) > 50  # every model: the first night built them all


def test_a_night_with_nothing_new_leaves_every_model_as_it_was(quiet):
    with duckdb.connect(str(quiet["db"]), read_only=True) as con:
        tables = [f"{s}.{t}" for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('intermediate', 'marts')").fetchall()]
    assert len(tables) > 40
    for table in tables + ["audit.readiness_history", "audit.nightly_snapshot"]:
        n, only_quiet, only_before = _diff(quiet["db"], quiet["before"], table)
        assert (only_quiet, only_before) == (0, 0), table


def test_a_night_with_nothing_new_reports_every_model_unchanged_and_publishes(quiet):
    # the publish step records which assets the run materialized (audit.run_assets); dbt's models are among them,
    # each with the note that it was not rebuilt
    models = set(quiet["previous_models"])
    rows = _rows(quiet["db"], "select asset_key, metadata from audit.run_assets where run_id = "
                              f"'{quiet['built']['run_id']}'")
    unchanged = {key.split("/")[-1] for key, metadata in rows if "unchanged" in (metadata or "")}
    assert unchanged == models
    assert _rows(quiet["db"], f"select status from audit.run_log where run_id = '{quiet['built']['run_id']}'") \
        == [("PUBLISHED",)]


def test_a_night_with_nothing_new_re_reports_only_the_tests_that_did_not_pass(quiet, runs):
    # The published build's test results (its run_results, kept in the warehouse) name the tests that warned or
    # failed; the quiet night reports exactly those again to Dagster, and none of the passing ones.
    (run_results,), = _rows(quiet["before"], "select run_results from audit.dbt_build_state")
    (manifest,), = _rows(quiet["before"], "select manifest from audit.dbt_build_state")
    nodes = json.loads(manifest)["nodes"]
    statuses = {nodes[r["unique_id"]]["name"]: r["status"] for r in json.loads(run_results)["results"]
                if r["unique_id"].startswith("test.") and r["unique_id"] in nodes}
    assert len(statuses) > 100 and "pass" in statuses.values()
    # the sample's published build has a warn-severity relationships test that warns; without one non-passing test
    # the re-reporting below would hold trivially
    assert any(status != "pass" for status in statuses.values()), statuses
    evaluated = check_results(runs["root"], quiet["built"]["run_id"])
    reported = {key.split(":", 1)[1]: passed for key, passed in evaluated.items() if key.split(":", 1)[1] in statuses}
    assert set(reported) == {name for name, status in statuses.items() if status != "pass"}
    assert not any(reported.values())
