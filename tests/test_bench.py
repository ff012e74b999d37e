"""`make bench`'s floor reads every CSV and Parquet landing row once, its start-up probes really run, its table says
what each row is, and each target's verdict is the arithmetic of issue 25 on the bench's own rows."""

from __future__ import annotations

import json
import re

import duckdb

from opsready.bench import (
    _readers,
    full_night_parts,
    markdown,
    report,
    time_dbt_without_rows,
    time_floor,
    time_typed_load,
)
from opsready.bench_startup import STEPS, rows_for_scale, time_startup
from opsready.bench_targets import verdicts


def test_the_floor_reads_every_csv_and_parquet_row_of_the_estate(nightly):
    # the generator's manifest counts each file's data rows as it wrote them (defect rows included); the floor leaves
    # out the pilot register workbooks
    manifest = json.loads((nightly.root / "manifest.json").read_text())  # on disk: a test may have added a day
    expected = sum(f["rows"] for f in manifest["files"] if not f["path"].endswith(".xlsx"))
    seconds, rows = time_floor(nightly.landing)
    assert rows == expected
    assert seconds > 0


def test_dbt_with_no_rows_runs_every_node_of_the_night_on_a_copy_and_leaves_the_warehouse_alone(nightly, tmp_path):
    night_results = json.loads(next(nightly.dbt_runs.glob("*/run_results.json")).read_text())["results"]
    with duckdb.connect(str(nightly.published), read_only=True) as con:
        readiness_rows = con.execute("select count(*) from marts.plant_readiness").fetchall()[0][0]
    assert readiness_rows > 0
    stamp = nightly.published.stat().st_mtime_ns
    run = time_dbt_without_rows(nightly.published, tmp_path / "dbt-without-rows", timeout_s=600)
    assert run["exit_code"] == 0 and run["seconds"] > 0
    # dbt's summary: the same nodes as the night's build (its run_results), none failed or skipped
    done = re.search(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+) NO-OP=(\d+) TOTAL=(\d+)",
                     (tmp_path / "dbt-without-rows.log").read_text())
    assert done, "no dbt summary in the log"
    assert int(done.group(6)) == len(night_results)
    assert (done.group(3), done.group(4)) == ("0", "0")
    # every model built with no rows: on the copy, which is gone; the published file is as the night left it
    assert not (tmp_path / "dbt-without-rows").exists()
    assert nightly.published.stat().st_mtime_ns == stamp
    with duckdb.connect(str(nightly.published), read_only=True) as con:
        assert con.execute("select count(*) from marts.plant_readiness").fetchall()[0][0] == readiness_rows


def test_duckdbs_own_typed_load_stores_every_row_of_each_entity_typed(tmp_path):
    # two monthly extracts of one entity (3 + 2 rows) and one of another (1 row), written by hand
    landing = tmp_path / "landing"
    header = "site,resource,start_utc,end_utc,status,reason_code\n"
    states = {"2025-01-31": ["GT01,WC-1,2025-01-01T00:00:00Z,2025-01-01T01:00:00Z,Running,",
                             "GT01,WC-1,2025-01-01T01:00:00Z,2025-01-01T01:30:00Z,Breakdown,BRK-01",
                             "GT01,WC-2,2025-01-01T00:00:00Z,2025-01-01T02:00:00Z,Running,"],
              "2025-02-28": ["GT01,WC-1,2025-02-01T00:00:00Z,2025-02-01T03:00:00Z,Running,",
                             "GT02,WC-9,2025-02-01T00:00:00Z,2025-02-01T00:10:00Z,Setup,SET-01"]}
    for day, lines in states.items():
        (landing / "mes-globaltech" / day).mkdir(parents=True)
        (landing / "mes-globaltech" / day / "machine_states.csv").write_text(header + "\n".join(lines) + "\n")
    (landing / "mes-globaltech" / "2025-01-31" / "hourly_output.csv").write_text(
        "site,resource,hour_utc,item,produced,good,rejected\nGT01,WC-1,2025-01-01T00:00:00Z,F-1,17,17,0\n")
    database = tmp_path / "typed.duckdb"
    seconds, rows = time_typed_load(landing, database)
    assert rows == 3 + 2 + 1 and seconds > 0
    assert not database.exists()  # removed: only its cost is kept
    readers = _readers(landing, typed=True)
    assert len(readers) == 2  # the two entities with files, nothing for the profiles' other entities
    with duckdb.connect() as con:
        types = {column: kind for reader in readers for column, kind in con.execute(
            f"select column_name, column_type from (describe select * from {reader})").fetchall()}
    # typed by DuckDB's sniffer, not text: the timestamps as timestamps, the counts as numbers
    assert types["start_utc"].startswith("TIMESTAMP") and types["hour_utc"].startswith("TIMESTAMP")
    assert types["produced"] in ("BIGINT", "INTEGER", "DOUBLE") and types["status"] == "VARCHAR"
    assert time_floor(landing)[1] == rows  # the floor reads the same rows


def test_the_table_shows_ratios_and_rss():
    rows = [
        dict(scale=10, step="floor", kind="floor", seconds=4.0, ratio_to_floor=1.0, exit_code=0, peak_rss_mib=None),
        dict(scale=10, step="full", kind="full", seconds=120.0, ratio_to_floor=30.0, exit_code=0,
             peak_rss_mib=3000.4),
        dict(scale=10, step=STEPS["dbt"], kind="start-up", seconds=2.5, exit_code=0, peak_rss_mib=180.0),
    ]
    assert markdown(rows).splitlines() == [
        "| scale | step | seconds | × floor | peak RSS MiB | exit |",
        "|---|---|---|---|---|---|",
        "| 10 | floor | 4.0 | 1.0 |  | 0 |",
        "| 10 | full | 120.0 | 30.0 | 3000 | 0 |",
        "| 10 | start-up: `dbt run` of a one-model project | 2.5 |  | 180 | 0 |",
    ]


def _row(scale, kind, seconds, rss=None, exit_code=0):
    return dict(scale=scale, step=kind, kind=kind, seconds=seconds, peak_rss_mib=rss, exit_code=exit_code)


START_UP = {"dagster": dict(seconds=3.0, exit_code=0), "dbt": dict(seconds=2.0, exit_code=0)}


def _bench(full_10=38.0, night_1=10.0, night_10=12.0, idle_10=12.0, rss=3000.0, ingest_10=12.0):
    return [
        _row(1, "floor", 0.5), _row(1, "full", 20.0, 1500.0), _row(1, "incremental median", night_1, 1200.0),
        _row(1, "nothing new", 9.0, 1100.0),
        _row(10, "floor", 4.0), _row(10, "full", full_10, rss), _row(10, "ingest", ingest_10),
        _row(10, "incremental median", night_10, 2000.0),
        _row(10, "nothing new", idle_10, 1600.0), _row(10, "incremental, stock dbt resource", 18.0, 1700.0),
    ]


def test_every_target_met_on_rows_that_meet_them():
    result = verdicts(_bench(), START_UP, bench_seconds=600)
    # full 38 / floor 4 = 9.5x; ingest 12 / 4 = 3.0x; peak 3000 MiB; night 12 / 10 = 1.2x; nothing new 12 / (3 + 2)
    # = 2.4x; 10 min
    assert [v.line() for v in result] == [
        "full nightly at scale 10 <= 10x the floor: 9.5x (38.0 s / 4.0 s) — met",
        "ingest alone at scale 10 <= 3x the floor: 3.0x (12.0 s / 4.0 s) — met",
        "peak RSS <= 4 GiB: 3000 MiB (scale 10, full) — met",
        "+1-day night at scale 10 <= 1.3x the same night at scale 1: 1.20x (12.0 s / 10.0 s) — met",
        "nothing-new night at scale 10 <= 2.5x the start-up probe: 2.40x (12.0 s / 5.0 s) — met",
        "make bench <= 15 min: 10.0 min — met",
    ]


def test_the_ingest_verdict_shows_duckdbs_own_typed_load_beside_it():
    rows = _bench(ingest_10=26.0) + [_row(10, "typed load", 14.8)]
    # ingest 26.0 / 4.0 = 6.5x, missed; DuckDB alone 14.8 / 4.0 = 3.7x
    assert verdicts(rows, START_UP, 600)[1].line() == (
        "ingest alone at scale 10 <= 3x the floor: 6.5x (26.0 s / 4.0 s); DuckDB's own typed load of the same files: "
        "3.7x — missed")


def test_every_target_missed_just_past_its_limit():
    # 40.4 / 4 = 10.1x; ingest 12.4 / 4 = 3.1x; 4097 MiB > 4096; 13.1 / 10 = 1.31x; 12.6 / 5 = 2.52x; 901 s > 900 s
    result = verdicts(_bench(full_10=40.4, night_10=13.1, idle_10=12.6, rss=4097.0, ingest_10=12.4), START_UP,
                      bench_seconds=901)
    assert [v.met for v in result] == [False] * 6
    assert result[0].measured == "10.1x (40.4 s / 4.0 s)"
    assert result[1].measured == "3.1x (12.4 s / 4.0 s)"
    assert result[3].measured == "1.31x (13.1 s / 10.0 s)"
    assert result[4].measured == "2.52x (12.6 s / 5.0 s)"
    assert result[5].measured == "15.0 min"


def test_a_failed_run_misses_its_target_and_a_missing_scale_is_not_measured():
    rows = _bench()
    rows[5]["exit_code"] = 1  # the scale-10 full nightly failed, fast
    only_small = [r for r in rows if r["scale"] == 1]
    assert verdicts(rows, START_UP, 600)[0].met is False
    small = verdicts(only_small, START_UP, 600)
    assert small[0].line() == "full nightly at scale 1 <= 10x the floor: 40.0x (20.0 s / 0.5 s) — missed"
    assert small[3].line() == "+1-day night at scale 1 <= 1.3x the same night at scale 1: needs +1-day nights at two " \
        "scales — not measured"
    assert [v.met for v in verdicts([], {}, 60)] == [None, None, None, None, None, True]


def test_the_report_prints_the_table_and_every_verdict():
    text = report(_bench(), START_UP, bench_seconds=600)
    assert text.startswith("| scale | step | seconds |")
    assert text.count(" — met") == 6 and text.endswith("- make bench <= 15 min: 10.0 min — met")


def test_the_stack_start_up_probes_really_run_a_dagster_asset_and_a_dbt_model(tmp_path):
    startup = time_startup(tmp_path, repeats=1)
    assert sorted(startup) == ["dagster", "dbt"]
    assert all(run["exit_code"] == 0 and run["seconds"] > 0 and run["peak_rss_mib"] > 0 for run in startup.values())
    # dbt built its one model: the table holds the one row of `select 1 as one`
    with duckdb.connect(str(tmp_path / "dbt" / "startup.duckdb"), read_only=True) as con:
        assert con.execute("select * from main.one").fetchall() == [(1,)]
    # the Dagster probe asserts its own output (the asset returned 1); its log shows the run succeeded
    assert "RUN_SUCCESS" in (tmp_path / "dagster-1.log").read_text()
    assert [r["step"] for r in rows_for_scale(10, startup)] == [STEPS["dagster"], STEPS["dbt"]]


def test_the_full_nights_parts_are_the_steps_its_log_printed(tmp_path):
    log = tmp_path / "full.log"
    log.write_text("opsready run: loading the pipeline; full log in /x/run.log\n"
                   "[   8.9s] run 7bd361be-7958-4b50-9002-2c401beac4e7 of job warehouse_only started\n"
                   "[   9.1s] working copy: a new warehouse (0.2 s)\n"
                   "[  46.1s] ingest: still running (31 s)\n"
                   "[  98.9s] ingest: 740 files new (0 replacing earlier ones), 0 already loaded, "
                   "0 quarantined whole; 35,246,618 rows loaded, 829 quarantined; GX validating 4.3 s (83.7 s)\n"
                   "[ 100.1s] ingest checks: 32 checks, 0 failed (1.2 s)\n"
                   "[ 130.0s] dbt build: still running (31 s, 202/276 dbt nodes)\n"
                   "[ 141.2s] dbt build: 276/276 nodes done (72 built, 197 tests passed, 1 warned, 0 failed, "
                   "0 skipped) (39.9 s)\n")

    def row(step, kind, seconds, exit_code=0):
        return dict(scale=10, step=step, kind=kind, seconds=seconds, exit_code=exit_code, peak_rss_mib=None)
    assert full_night_parts(10, log) == [
        row("full night, before its run starts (imports, definitions, dbt parse)", "before run", 8.9),
        row("ingest alone (the full night's landing step)", "ingest", 83.7),
        row("of which Great Expectations validating (beside the writes)", "ingest gx", 4.3),
        row("full night's dbt build (every model and data test)", "dbt build", 39.9)]
    log.write_text("[   3.0s] run 1 of job warehouse_only started\n[  46.1s] ingest: still running (31 s)\n"
                   "[  50.0s] ingest: FAILED after 33.0 s\n[  50.1s] dbt build: skipped (an earlier step failed)\n")
    # no finished landing or dbt step: a target judged on them is missed, not met
    assert [part["exit_code"] for part in full_night_parts(10, log)] == [0, 1, 1, 1]


def test_the_full_verdict_shows_what_its_fixed_parts_cost_together():
    rows = _bench(full_10=83.3) + [_row(10, "typed load", 11.5), _row(10, "dbt without rows", 13.4)]
    # Dagster's start-up probe 3.0 + typed load 11.5 + dbt with no rows 13.4 = 27.9 s; / floor 4.0 = 6.975 -> 7.0x
    assert verdicts(rows, START_UP, 600)[0].line() == (
        "full nightly at scale 10 <= 10x the floor: 20.8x (83.3 s / 4.0 s); its fixed parts (Dagster's start, "
        "DuckDB's typed load, dbt build with no rows): 7.0x — missed")
    rows[-1]["exit_code"] = 1  # dbt with no rows failed: no sum is shown
    assert verdicts(rows, START_UP, 600)[0].line() == (
        "full nightly at scale 10 <= 10x the floor: 20.8x (83.3 s / 4.0 s) — missed")


def test_the_full_verdict_shows_where_its_time_went():
    parts = [_row(10, "before run", 8.9), _row(10, "dbt build", 39.9)]
    rows = _bench(full_10=83.3, ingest_10=28.0) + parts
    # 83.3 / 4.0 = 20.8x; the rest 83.3 - 8.9 - 28.0 - 39.9 = 6.5 s
    assert verdicts(rows, START_UP, 600)[0].line() == (
        "full nightly at scale 10 <= 10x the floor: 20.8x (83.3 s / 4.0 s): before the run starts 8.9 s, "
        "ingest 28.0 s, dbt build 39.9 s, the rest 6.5 s — missed")
    # a part the log did not show: no breakdown, the verdict alone
    parts[1]["exit_code"] = 1
    assert verdicts(rows, START_UP, 600)[0].line() == (
        "full nightly at scale 10 <= 10x the floor: 20.8x (83.3 s / 4.0 s) — missed")
