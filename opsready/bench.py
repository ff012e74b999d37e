"""`make bench`: how long the nightly takes against the cost of reading its input once.

For each scale (default 1 and 10) in one run of this script: generate the sample estate into a fresh folder, then
time
  floor        one DuckDB query that reads every landing file of the estate once (CSV via read_csv with the
               source profile's delimiter and encoding, Parquet via read_parquet; every column is hashed so nothing
               is skipped). The pilot register (one small xlsx per quarter) is not in the floor: DuckDB has no
               built-in xlsx reader, and it is a few hundred rows.
  full         `opsready run --no-report` on the fresh estate (subprocess; every file ingested with contracts and
               Great Expectations, every dbt model built and tested, published).
  incremental  `opsready.sample.extend` adds the next day of MES data (one extract folder per MES source), then
               `opsready run --no-report` again on the same data root; three nights in a row (`--nights`), and the
               median of them is compared with the full run (on a shared machine one night alone can be an outlier).
  nothing new  `opsready run --no-report` once more with no new file: a night's fixed cost (not a target; it shows
               how much of an incremental night does not depend on the new day).
  start-up     once per run of the script, before the scales: a one-asset Dagster run, a one-model dbt run (as a
               subprocess, and in process), and the import of Great Expectations, the fastest of three each
               (opsready/bench_startup.py): the stack's own cost before any data, set against what the two speed
               targets together leave an incremental night (1.5x the floor), printed under the table.
and print a table of seconds, ratio to the floor and peak RSS (sum over the process tree, polled from /proc every
0.2 s), also written to OUT/bench.json and OUT/bench.md. Before each timed step the script flushes the file system
(`os.sync()`): the step before it wrote gigabytes (the estate, the published warehouse), and a nightly runs a day
after the last one, not while its writes are still going to disk (measured on this machine: an incremental started
right after the full took 59 s, the same run on a settled disk 42-45 s). Targets at scale 10 on 2 cores:
full <= 10x the floor, incremental <= 15 % of the full, peak RSS <= 4 GiB.

Incremental MES chain (what makes the +1-day nightly cheap)
-----------------------------------------------------------
* Partition = landing extract date. Ingest loads only files it has not loaded (same sha256 -> skipped); a new
  sha256 for a source + extract date + entity already loaded is `replaced` (its raw rows deleted, new ones loaded).
  The working copy starts from the published warehouse, so raw tables, load history and every incremental model
  persist between nights.
* `intermediate.int_mes_load_footprint` (incremental) records, per raw `_load_id` of machine_states and
  production_counts, the (plant, work center, UTC day range +/- 1 day) it covers. A night inserts the footprint of
  the loads new in raw and re-marks (is_live = false) loads whose rows left raw (a corrected re-extract), both
  stamped with the dbt invocation id. Master data the chain reads is fingerprinted the same way (a plant's time zone,
  a plant's reason catalogue): a change marks all days of that plant's work centers.
* `int_machine_state_intervals_cleaned`, `int_machine_state_daily`, `int_oee_daily_components`,
  `int_production_counts_daily` are incremental: a pre-hook deletes the rows of the ranges stamped with the current
  invocation (merged per work center) and the model inserts them recomputed. The overlap logic carries the running
  maximum of earlier interval ends in from before the range; the day split reads every interval overlapping the
  range, so a late, corrected or midnight-crossing interval lands exactly as in a full rebuild.
* The OEE marts are incremental too: `fct_oee_daily` recomputes the same (plant, work center, day) ranges,
  `downtime_by_reason_monthly` the work centers' months holding an affected day, `oee_rollup` every row of a month
  holding an affected day (company totals span plants). The master data they join (company, work-center line and
  ideal cycle time, reason categories) is fingerprinted per plant (`oee_master`): a quarterly snapshot that changes
  it recomputes all of that plant's history. `dbt build --full-refresh` rebuilds everything and gives the same rows
  (tests/test_incremental.py, also after a master-data change).
* Backfill / reprocess of extract dates: `opsready run --reprocess-from D1 --reprocess-to D2` makes the run forget
  the MES footprint of those dates' loads in its working copy, so it recomputes exactly their plant-days
  (orchestration/warehouse/reprocess.py); re-dropping corrected files into `landing/<source>/<date>/` needs
  nothing: ingest replaces them and the chain follows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import yaml

from ingest.profiles import PROFILE_DIR
from opsready.bench_measure import run_measured
from opsready.bench_startup import budget_line, rows_for_scale, time_startup
from opsready.paths import Settings
from opsready.sample import generate
from opsready.sample.extend import extend_one_day

MES_ENTITIES = ("machine_states", "production_counts")


# ---------------------------------------------------------------- floor
def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def floor_query(landing: Path) -> str:
    """One query reading every CSV/Parquet landing file once, hashing every value."""
    parts = []
    for profile_path in sorted(PROFILE_DIR.glob("*.yaml")):
        profile = yaml.safe_load(profile_path.read_text(encoding="utf-8"))
        source, fmt = profile["profile"], profile["format"]
        if fmt["type"] not in ("csv", "parquet"):
            continue
        for entity in profile["entities"].values():
            glob = landing / source / "*" / entity["file"]
            if not list((landing / source).glob(f"*/{entity['file']}")):
                continue
            if fmt["type"] == "parquet":
                reader = f"read_parquet({_sql_str(str(glob))})"
            else:
                encoding = {"utf-8-sig": "utf-8", "latin-1": "latin-1"}.get(fmt.get("encoding", "utf-8"), "utf-8")
                reader = (f"read_csv({_sql_str(str(glob))}, delim={_sql_str(fmt.get('delimiter', ','))}, "
                          f"header=true, all_varchar=true, encoding={_sql_str(encoding)})")
            parts.append(f"select count(*) as n, sum(hash(t)) as h from {reader} as t")
    return "select sum(n) as rows, sum(h) as checksum from (\n" + "\nunion all\n".join(parts) + "\n)"


def time_floor(landing: Path) -> tuple[float, int]:
    query = floor_query(landing)
    with duckdb.connect() as con:
        con.execute("set enable_progress_bar = false")
        os.sync()  # the estate was just written: time the read, not the writeback (module docstring)
        started = time.perf_counter()
        rows = con.execute(query).fetchone()[0]
        return time.perf_counter() - started, int(rows)


# ---------------------------------------------------------------- bench
def bench_scale(scale: float, out: Path, timeout_s: float, incremental_nights: int = 3,
                startup: dict[str, dict] | None = None) -> list[dict]:
    root = out / f"scale-{scale:g}"
    if root.exists():
        shutil.rmtree(root)
    started = time.perf_counter()
    manifest = generate(root, scale=scale)
    gen_s = time.perf_counter() - started
    print(f"scale {scale:g}: generated {len(manifest['files'])} files in {gen_s:.0f} s", flush=True)
    floor_s, floor_rows = time_floor(root / "landing")
    print(f"scale {scale:g}: floor {floor_s:.2f} s ({floor_rows:,} rows)", flush=True)
    env = dict(os.environ, OPSREADY_DATA=str(root), DAGSTER_HOME=str(root / "dagster"))
    env.pop("OPSREADY_WAREHOUSE", None)
    opsready = [sys.executable, "-m", "opsready.cli", "run", "--no-report"]
    rows = [dict(scale=scale, step="floor", seconds=floor_s, rows=floor_rows, exit_code=0, peak_rss_mib=None)]
    full = run_measured(opsready, env, root / "full.log", timeout_s)
    rows.append(dict(scale=scale, step="full", **full))
    print(f"scale {scale:g}: full nightly {full['seconds']:.1f} s (exit {full['exit_code']})", flush=True)
    nights = []
    for night in range(1, incremental_nights + 1):
        ext = extend_one_day(root)
        incr = run_measured(opsready, env, root / f"incremental-{night}.log", timeout_s)
        nights.append(incr)
        rows.append(dict(scale=scale, step=f"incremental (+{ext['day']})", **incr))
        print(f"scale {scale:g}: incremental nightly {night} {incr['seconds']:.1f} s (exit {incr['exit_code']})",
              flush=True)
    if len(nights) > 1:
        # on a shared machine one night alone can be an outlier; the median of consecutive nights is the number the
        # target is judged on
        rows.append(dict(scale=scale, step=f"incremental, median of {len(nights)} nights",
                         seconds=statistics.median(n["seconds"] for n in nights),
                         exit_code=max(n["exit_code"] for n in nights),
                         peak_rss_mib=max(n["peak_rss_mib"] for n in nights)))
    # The same nightly once more with nothing new to load: what any night costs before its data (process start,
    # working copy, every dbt model and test on the new state, publish). The incremental target is judged against the
    # full run; this row shows how much of an incremental night is this fixed cost.
    idle = run_measured(opsready, env, root / "nothing-new.log", timeout_s)
    rows.append(dict(scale=scale, step="nothing new (a night's fixed cost)", **idle))
    print(f"scale {scale:g}: nightly with nothing new {idle['seconds']:.1f} s (exit {idle['exit_code']})", flush=True)
    rows += rows_for_scale(scale, startup or {})
    for r in rows:
        r["ratio_to_floor"] = r["seconds"] / floor_s if floor_s else None
        if r["step"].startswith(("incremental", "nothing new")):
            r["share_of_full"] = r["seconds"] / full["seconds"] if full["seconds"] else None
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| scale | step | seconds | × floor | % of full | peak RSS MiB | exit |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        share = f"{100 * r['share_of_full']:.1f} %" if r.get("share_of_full") is not None else ""
        rss = f"{r['peak_rss_mib']:.0f}" if r.get("peak_rss_mib") is not None else ""
        lines.append(f"| {r['scale']:g} | {r['step']} | {r['seconds']:.1f} | {r['ratio_to_floor']:.1f} | {share} | "
                     f"{rss} | {r['exit_code']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="time full and incremental nightlies against a DuckDB scan floor")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--out", type=Path, default=None, help="bench folder (default $OPSREADY_DATA/bench)")
    parser.add_argument("--nights", type=int, default=3, help="incremental nightlies in a row, one new day each")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds per nightly before it is killed")
    args = parser.parse_args(argv)
    if args.nights < 1:
        parser.error("--nights must be at least 1")
    out = (args.out or Settings.from_env().data_root / "bench").resolve()
    out.mkdir(parents=True, exist_ok=True)
    startup = time_startup(out / "startup")
    print("stack start-up (fastest of 3): " + ", ".join(f"{k} {v['seconds']:.1f} s" for k, v in startup.items()),
          flush=True)
    rows: list[dict] = []
    budgets: list[str] = []
    for scale in args.scales:
        scale_rows = bench_scale(scale, out, args.timeout, args.nights, startup)
        rows += scale_rows
        budgets.append(budget_line(scale, scale_rows[0]["seconds"], startup))  # the scale's first row is its floor
        (out / "bench.json").write_text(json.dumps(rows, indent=2) + "\n")
        (out / "bench.md").write_text(markdown(rows) + "\n\n" + "\n".join(budgets) + "\n")
    print(markdown(rows))
    print("\n".join(budgets))
    print(f"written to {out / 'bench.json'} and {out / 'bench.md'}")
    return 0 if all(r["exit_code"] == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
