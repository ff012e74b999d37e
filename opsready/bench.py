"""`make bench`: the nightly's cost against reading its input once, and the targets of issue 25 with met/missed.

For each scale (default 1 and 10), in one run of this script: generate the sample estate into a fresh folder, then
time
  floor        one DuckDB query that reads every landing file of the estate once (CSV via read_csv with the
               source profile's delimiter and encoding, Parquet via read_parquet; every column is hashed so nothing
               is skipped). The pilot register (one small xlsx per quarter) is not in the floor: DuckDB has no
               built-in xlsx reader, and it is a few hundred rows.
  typed load   DuckDB alone storing the same files as typed tables (CREATE TABLE AS from read_csv/read_parquet
               with sniffed types; no contract, lineage, quarantine or Great Expectations) in a new database
               file: the least any ingest into DuckDB costs, beside the ingest target's 3x the floor.
  full         `opsready run --no-report` on the fresh estate (a subprocess: every file ingested with contracts and
               Great Expectations, every dbt model built and tested, published).
  ingest       the full night's ingest alone: its `landing` step's duration, as the run prints it; so are the
               full night's other parts (before the run starts, the dbt build), shown beside its verdict.
  dbt empty    `dbt build --empty --full-refresh` on a copy of the full night's warehouse: dbt's start, parse and
               every node's cost with no rows. With the Dagster start-up probe and the typed load: the full night's
               fixed parts, shown beside its verdict.
  incremental  `opsready.sample.extend` adds the next day of MES data, then `opsready run --no-report` again on the
               same data root; three nights in a row (`--nights`), the same days at every scale, and their median.
  nothing new  `opsready run --no-report` once more with no new file: a night's fixed cost (a quiet night: dbt
               is not started, orchestration/transform/build_state.py).
  stock dbt    at the largest scale, one more +1-day night with `OPSREADY_DBT_RESOURCE=stock`: against the
               incremental nights, what the lean dbt resource buys (orchestration/transform/dbt_cli.py).
  start-up     once per run, first: a one-asset Dagster run and a one-model dbt run (opsready/bench_startup.py).
The table (seconds, ratio to the floor, peak RSS summed over the process tree, polled from /proc every 0.2 s) and
each target's verdict (opsready/bench_targets.py) are printed and written to OUT/bench.json and OUT/bench.md.
Before each timed step the file system is flushed (`os.sync()`): the step before wrote gigabytes, and a nightly runs
a day after the last one, not while its writes are still going to disk.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

import duckdb
import yaml

from ingest.profiles import PROFILE_DIR
from opsready import gates
from opsready.bench_measure import run_measured
from opsready.bench_startup import rows_for_scale, time_startup
from opsready.bench_targets import verdicts
from opsready.paths import Settings
from opsready.sample import generate
from opsready.sample.extend import extend_one_day
from orchestration.transform.project import DBT_PROJECT_DIR, dbt_build_args, dbt_executable


# ---------------------------------------------------------------- floor
def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _entity_files(landing: Path) -> list[tuple[Path, dict]]:
    """(glob over the date folders, the source profile's format) of every CSV/Parquet entity with files."""
    found = []
    for profile_path in sorted(PROFILE_DIR.glob("*.yaml")):
        profile = yaml.safe_load(profile_path.read_text(encoding="utf-8"))
        source, fmt = profile["profile"], profile["format"]
        if fmt["type"] not in ("csv", "parquet"):
            continue
        for entity in profile["entities"].values():
            if list((landing / source).glob(f"*/{entity['file']}")):
                found.append((landing / source / "*" / entity["file"], fmt))
    return found


def _reader(glob: Path, fmt: dict, csv_options: str, parquet_options: str = "") -> str:
    """DuckDB's table function reading every file of one entity with the profile's delimiter and encoding."""
    if fmt["type"] == "parquet":
        return f"read_parquet({_sql_str(str(glob))}{parquet_options})"
    encoding = {"utf-8-sig": "utf-8", "latin-1": "latin-1"}.get(fmt.get("encoding", "utf-8"), "utf-8")
    return (f"read_csv({_sql_str(str(glob))}, delim={_sql_str(fmt.get('delimiter', ','))}, header=true, "
            f"{csv_options}, encoding={_sql_str(encoding)})")


def _readers(landing: Path, typed: bool = False) -> list[str]:
    """One reader per CSV/Parquet entity of the estate: every value as text, or (`typed`) in the types DuckDB's
    sniffer finds in the first files (widened where later files disagree), rows it cannot type skipped. CSV files are
    not united by column name: that sniffs every file, which costs more than reading the rows of small entities
    (Parquet files are, from their footers)."""
    return [_reader(glob, fmt, "ignore_errors=true" if typed else "all_varchar=true",
                    ", union_by_name=true" if typed else "") for glob, fmt in _entity_files(landing)]


def floor_query(landing: Path) -> str:
    """One query reading every CSV/Parquet landing file once, hashing every value."""
    parts = [f"select count(*) as n, sum(hash(t)) as h from {reader} as t" for reader in _readers(landing)]
    return "select sum(n) as rows, sum(h) as checksum from (\n" + "\nunion all\n".join(parts) + "\n)"


def time_floor(landing: Path) -> tuple[float, int]:
    query = floor_query(landing)
    with duckdb.connect() as con:
        con.execute("set enable_progress_bar = false")
        os.sync()  # the estate was just written: time the read, not the writeback (module docstring)
        started = time.perf_counter()
        rows = con.execute(query).fetchone()[0]
        return time.perf_counter() - started, int(rows)


# ---------------------------------------------------------------- DuckDB's own typed load
def time_typed_load(landing: Path, database: Path) -> tuple[float, int]:
    """What storing the same files costs DuckDB alone: one table per entity created from its typed reader
    (`_readers(typed=True)`; no contract, lineage, quarantine or Great Expectations) in a new database file,
    checkpointed; the seconds and the rows stored. Any ingest that stores the typed rows in DuckDB costs at least
    this, so its ratio to the floor tells how far the ingest target can be met on this machine. The file is removed."""
    database.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(database)) as con:
            con.execute("set enable_progress_bar = false")
            os.sync()
            started = time.perf_counter()
            for number, reader in enumerate(_readers(landing, typed=True)):
                con.execute(f"create table entity_{number} as select * from {reader}")
            con.execute("checkpoint")
            seconds = time.perf_counter() - started
            tables = [name for (name,) in con.execute("select table_name from duckdb_tables()").fetchall()]
            rows = sum(con.execute(f"select count(*) from {name}").fetchone()[0] for name in tables)
        return seconds, int(rows)
    finally:
        database.unlink(missing_ok=True)
        Path(f"{database}.wal").unlink(missing_ok=True)


# ---------------------------------------------------------------- the full night's parts
# the lines `opsready run` prints (opsready/console.py): when Dagster's run starts (the pipeline loaded: imports,
# definitions, dbt's parse), and when the landing step and the dbt step end, e.g.
#   "[   8.9s] run 7bd3... of job warehouse_only started"
#   "[  98.9s] ingest: 740 files new (...), 829 quarantined; GX validating 4.3 s (83.7 s)"
#   "[  79.1s] dbt build: 276/276 nodes done (72 built, ...) (39.9 s)"
RUN_STARTED_LINE = re.compile(r"^\[\s*(\d+(?:\.\d+)?)s\] run \S+ of job \S+ started\s*$")
INGEST_LINE = re.compile(r"\bingest: (?!still running).*\((\d+(?:\.\d+)?) s\)\s*$")
GX_PART = re.compile(r"GX validating (\d+(?:\.\d+)?) s")
DBT_LINE = re.compile(r"\bdbt build: \d+/\d+ nodes done .*\((\d+(?:\.\d+)?) s\)\s*$")


def _last(pattern: re.Pattern, lines: list[str]) -> re.Match | None:
    found = [m for line in lines if (m := pattern.search(line))]
    return found[-1] if found else None


def full_night_parts(scale: float, log: Path) -> list[dict]:
    """Where the full night's time went, as the run printed it: before Dagster's run started (the pipeline loading:
    imports, definitions and dbt's parse), the ingest (its `landing` step: every landing file hashed, read,
    contract-checked, validated and written) and of it the time Great Expectations validated (on the validator
    thread, in its own process, while earlier batches were written: part of the step's time, not added to it), and
    the dbt build (every model and data test). A part the log does not show (that step failed or never ran) gets
    exit 1, so a target judged on it is missed, not met."""
    lines = log.read_text(errors="replace").splitlines()

    def part(step: str, kind: str, match: re.Match | None) -> dict:
        return dict(scale=scale, step=step, kind=kind, seconds=float(match.group(1)) if match else 0.0,
                    exit_code=0 if match else 1, peak_rss_mib=None)

    ingest = _last(INGEST_LINE, lines)
    return [part("full night, before its run starts (imports, definitions, dbt parse)", "before run",
                 _last(RUN_STARTED_LINE, lines)),
            part("ingest alone (the full night's landing step)", "ingest", ingest),
            part("of which Great Expectations validating (beside the writes)", "ingest gx",
                 GX_PART.search(ingest.string) if ingest else None),
            part("full night's dbt build (every model and data test)", "dbt build", _last(DBT_LINE, lines))]


# ---------------------------------------------------------------- dbt with no rows
def time_dbt_without_rows(warehouse: Path, folder: Path, timeout_s: float) -> dict:
    """dbt's own cost of building the project with no data: `dbt build --empty --full-refresh` (dbt's `--empty`:
    every model built and every data test run, each ref and source read as zero rows) in a fresh process on a copy of
    the full night's published warehouse, with the nightly's vars, in a new target folder. It pays what the full
    night's dbt part pays whatever the data: dbt's start, its parse for a new warehouse path, and every node's fixed
    cost. Seconds, exit code and peak RSS as for a nightly; the copy and the target folder are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    copy, log = folder / "opsready.duckdb", folder.with_suffix(".log")
    try:
        try:
            shutil.copyfile(warehouse, copy)
        except OSError as exc:  # no published warehouse: the full night failed, so this step fails too
            log.write_text(f"no warehouse to copy: {exc}\n")
            return dict(seconds=0.0, exit_code=1, peak_rss_mib=None)
        cmd = [dbt_executable(), "--no-use-colors", *dbt_build_args(gates.dbt_vars()), "--empty", "--full-refresh",
               "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
               "--target-path", str(folder / "target"), "--log-path", str(folder / "logs")]
        env = dict(os.environ, OPSREADY_WAREHOUSE=str(copy), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
        return run_measured(cmd, env, log, timeout_s)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- bench
def bench_scale(scale: float, out: Path, timeout_s: float, incremental_nights: int = 3,
                stock_dbt_night: bool = False) -> list[dict]:
    root = out / f"scale-{scale:g}"
    if root.exists():
        shutil.rmtree(root)
    started = time.perf_counter()
    manifest = generate(root, scale=scale)
    print(f"scale {scale:g}: generated {len(manifest['files'])} files in {time.perf_counter() - started:.0f} s",
          flush=True)
    floor_s, floor_rows = time_floor(root / "landing")
    print(f"scale {scale:g}: floor {floor_s:.2f} s ({floor_rows:,} rows)", flush=True)
    load_s, load_rows = time_typed_load(root / "landing", root / "typed-load.duckdb")
    print(f"scale {scale:g}: DuckDB's own typed load {load_s:.2f} s ({load_rows:,} rows)", flush=True)
    env = dict(os.environ, OPSREADY_DATA=str(root), DAGSTER_HOME=str(root / "dagster"))
    env.pop("OPSREADY_WAREHOUSE", None)
    opsready = [sys.executable, "-m", "opsready.cli", "run", "--no-report"]
    rows = [dict(scale=scale, step="floor", kind="floor", seconds=floor_s, rows=floor_rows, exit_code=0,
                 peak_rss_mib=None),
            dict(scale=scale, step="DuckDB's own typed load of the same files (no checks; ingest's lower bound)",
                 kind="typed load", seconds=load_s, rows=load_rows, exit_code=0, peak_rss_mib=None)]

    def night(step: str, kind: str, log: str, **extra_env: str) -> dict:
        run = run_measured(opsready, {**env, **extra_env}, root / log, timeout_s)
        print(f"scale {scale:g}: {step} {run['seconds']:.1f} s (exit {run['exit_code']})", flush=True)
        rows.append(dict(scale=scale, step=step, kind=kind, **run))
        return run

    night("full", "full", "full.log")
    rows.extend(full_night_parts(scale, root / "full.log"))
    empty = time_dbt_without_rows(Settings.from_env(env).published_warehouse, root / "dbt-without-rows", timeout_s)
    print(f"scale {scale:g}: dbt build with no rows {empty['seconds']:.1f} s (exit {empty['exit_code']})", flush=True)
    rows.append(dict(scale=scale, step="dbt build with no rows (`dbt build --empty`: start, parse, every node)",
                     kind="dbt without rows", **empty))
    nights = []
    for number in range(1, incremental_nights + 1):
        day = extend_one_day(root)["day"]
        nights.append(night(f"incremental (+{day})", "incremental", f"incremental-{number}.log"))
    # on a shared machine one night alone can be an outlier: the median of consecutive nights is what is judged
    rows.append(dict(scale=scale, step=f"incremental, median of {len(nights)} nights", kind="incremental median",
                     seconds=statistics.median(n["seconds"] for n in nights),
                     exit_code=max(n["exit_code"] for n in nights),
                     peak_rss_mib=max(n["peak_rss_mib"] for n in nights)))
    night("nothing new", "nothing new", "nothing-new.log")
    if stock_dbt_night:
        day = extend_one_day(root)["day"]
        night(f"incremental (+{day}), stock dbt resource", "incremental, stock dbt resource",
              "incremental-stock.log", OPSREADY_DBT_RESOURCE="stock")
    for r in rows:
        r["ratio_to_floor"] = r["seconds"] / floor_s if floor_s else None
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| scale | step | seconds | × floor | peak RSS MiB | exit |", "|---|---|---|---|---|---|"]
    for r in rows:
        ratio = f"{r['ratio_to_floor']:.1f}" if r.get("ratio_to_floor") is not None else ""
        rss = f"{r['peak_rss_mib']:.0f}" if r.get("peak_rss_mib") is not None else ""
        lines.append(f"| {r['scale']:g} | {r['step']} | {r['seconds']:.1f} | {ratio} | {rss} | {r['exit_code']} |")
    return "\n".join(lines)


def report(rows: list[dict], start_up: dict[str, dict], bench_seconds: float) -> str:
    """The table and one line per target with its verdict."""
    return markdown(rows) + "\n\n" + "\n".join("- " + v.line() for v in verdicts(rows, start_up, bench_seconds))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="time full and incremental nightlies against a DuckDB scan floor")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--out", type=Path, default=None, help="bench folder (default $OPSREADY_DATA/bench)")
    parser.add_argument("--nights", type=int, default=3, help="incremental nightlies in a row, one new day each")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per nightly before it is killed")
    args = parser.parse_args(argv)
    if args.nights < 1:
        parser.error("--nights must be at least 1")
    started = time.perf_counter()
    out = (args.out or Settings.from_env().data_root / "bench").resolve()
    out.mkdir(parents=True, exist_ok=True)
    start_up = time_startup(out / "startup")
    print("stack start-up (fastest of 3): " + ", ".join(f"{k} {v['seconds']:.1f} s" for k, v in start_up.items()),
          flush=True)
    rows: list[dict] = []
    largest = max(args.scales)
    for scale in sorted(args.scales):
        rows += bench_scale(scale, out, args.timeout, args.nights, stock_dbt_night=scale == largest)
    rows += rows_for_scale(largest, start_up)
    text = report(rows, start_up, time.perf_counter() - started)
    (out / "bench.json").write_text(json.dumps(rows, indent=2) + "\n")
    (out / "bench.md").write_text(text + "\n")
    print(text)
    print(f"written to {out / 'bench.json'} and {out / 'bench.md'}")
    return 0 if all(r["exit_code"] == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
