"""`make bench`'s floor reads every CSV and Parquet landing row once, and its table says what each row is."""

from __future__ import annotations

import json

from opsready.bench import markdown, time_floor


def test_the_floor_reads_every_csv_and_parquet_row_of_the_estate(nightly):
    # the generator's manifest counts each file's data rows as it wrote them (defect rows included); the floor leaves
    # out the pilot register workbooks
    manifest = json.loads((nightly.root / "manifest.json").read_text())  # on disk: a test may have added a day
    expected = sum(f["rows"] for f in manifest["files"] if not f["path"].endswith(".xlsx"))
    seconds, rows = time_floor(nightly.landing)
    assert rows == expected
    assert seconds > 0


def test_the_table_shows_ratios_shares_and_the_fixed_cost_row():
    rows = [
        dict(scale=10, step="floor", seconds=4.0, ratio_to_floor=1.0, exit_code=0, peak_rss_mib=None),
        dict(scale=10, step="full", seconds=120.0, ratio_to_floor=30.0, exit_code=0, peak_rss_mib=3000.4),
        dict(scale=10, step="nothing new (a night's fixed cost)", seconds=18.0, ratio_to_floor=4.5,
             share_of_full=0.15, exit_code=0, peak_rss_mib=1500.0),
    ]
    assert markdown(rows).splitlines() == [
        "| scale | step | seconds | × floor | % of full | peak RSS MiB | exit |",
        "|---|---|---|---|---|---|---|",
        "| 10 | floor | 4.0 | 1.0 |  |  | 0 |",
        "| 10 | full | 120.0 | 30.0 |  | 3000 | 0 |",
        "| 10 | nothing new (a night's fixed cost) | 18.0 | 4.5 | 15.0 % | 1500 | 0 |",
    ]


def test_the_stack_start_up_probes_really_run_a_dagster_asset_and_a_dbt_model(tmp_path):
    import duckdb

    from opsready.bench_startup import STEPS, rows_for_scale, time_startup

    startup = time_startup(tmp_path, repeats=1)
    assert sorted(startup) == ["dagster", "dbt", "dbt_in_process", "gx"]
    assert all(run["exit_code"] == 0 and run["seconds"] > 0 and run["peak_rss_mib"] > 0 for run in startup.values())
    # dbt built its one model: the table holds the one row of `select 1 as one`
    with duckdb.connect(str(tmp_path / "dbt" / "startup.duckdb"), read_only=True) as con:
        assert con.execute("select * from main.one").fetchall() == [(1,)]
    # the Dagster probe asserts its own output (the asset returned 1); its log shows the run succeeded
    assert "RUN_SUCCESS" in (tmp_path / "dagster-1.log").read_text()
    # the in-process probe reports its own measure (dbt's import and invocation), which is part of its process's time
    in_process = startup["dbt_in_process"]
    assert 0 < in_process["seconds"] < in_process["process_seconds"]
    steps = [STEPS[step] for step in ("dagster", "dbt", "dbt_in_process", "gx")]
    assert [r["step"] for r in rows_for_scale(10, startup)] == steps


def test_the_budget_line_compares_both_targets_with_the_start_up():
    from opsready.bench_startup import budget_line

    startup = {"dagster": dict(seconds=2.5), "dbt": dict(seconds=2.7), "dbt_in_process": dict(seconds=1.2),
               "gx": dict(seconds=3.0)}
    # 15 % of 10x a 4-s floor = 6 s; Dagster + dbt = 5.2 s; with GX's import beside Dagster's start: 3.0 + 2.7 = 5.7 s;
    # dbt in process: 2.5 + 1.2 = 3.7 s, and 3.0 + 1.2 = 4.2 s
    assert budget_line(10, 4.0, startup) == (
        "scale 10: full <= 10x the floor and incremental <= 15 % of the full leave an incremental night 6.0 s (1.5x "
        "the floor); a one-asset Dagster run and a one-model dbt run in it take 5.2 s before any data (5.7 s with "
        "Great Expectations' import on the second core), 3.7 s with dbt in process (4.2 s)")
