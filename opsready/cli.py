"""`opsready`: generate the sample estate, run the nightly, query the warehouse, check a gate, build the report."""

from __future__ import annotations

import argparse
import fcntl
import os
import sys
from contextlib import contextmanager, suppress
from pathlib import Path

from opsready import paths

EXAMPLE_QUERY = "select company, pilot_to_scale_rate, tier from marts.pilot_to_scale where grain='company'"


def quiet_telemetry() -> None:
    """Telemetry of dbt, Dagster and Evidence stays off, whoever starts us."""
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def dagster_home() -> Path:
    """`$DAGSTER_HOME`, default `$OPSREADY_DATA/dagster`, with a dagster.yaml that turns telemetry off."""
    home = Path(os.environ.get("DAGSTER_HOME") or paths.data_root() / "dagster")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(
            "telemetry:\n  enabled: false\n"
            "run_queue:\n  max_concurrent_runs: 1\n"  # one writer to the warehouse at a time
            # Dagster's sqlite event log with its connections kept open (orchestration/event_log.py)
            "event_log_storage:\n  module: orchestration.event_log\n  class: PooledSqliteEventLogStorage\n"
        )
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@contextmanager
def run_lock():
    """One nightly at a time per data root; a second one fails at once with a clear message."""
    lock_path = paths.warehouse_dir() / "run.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(f"opsready: another run holds {lock_path}; wait for it to finish") from None
        yield


def positive_float(text: str) -> float:
    """argparse type: a number > 0."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def cmd_generate(args) -> int:
    from opsready.sample import generate

    out = Path(args.out) if args.out else paths.data_root()
    manifest = generate(out, seed=args.seed, scale=args.scale)
    files = manifest.get("files", [])
    print(f"sample estate written to {out / 'landing'}: {len(files)} files, "
          f"{sum(f.get('rows', 0) for f in files):,} rows (seed {args.seed}, scale {args.scale}); "
          f"ground truth in {out / 'manifest.json'}")
    return 0


def run_nightly(as_of: str | None = None, include_report: bool = True, reprocess: tuple[str, str] | None = None,
                history: bool = False):
    """Execute the nightly job once, in this process, against `OPSREADY_DATA`. Returns the Dagster result.

    `reprocess` = (first, last) MES extract date (YYYY-MM-DD) whose plant-days the run recomputes; `history` also
    evaluates the readiness gates on every month end since the earliest data (a first run does so anyway)."""
    quiet_telemetry()
    dagster_home()
    paths.export_warehouse_env()
    from ingest import gx_process

    gx_process.start()  # GX's import on the second core while Dagster loads and creates the run (ingest/gx_process.py)
    import dagster as dg

    from orchestration.definitions import defs

    ops = {}
    dbt_config = {**({"as_of": as_of} if as_of else {}), **({"full_history": True} if history else {})}
    if dbt_config:
        ops["opsready_dbt_models"] = {"config": dbt_config}
    if reprocess:
        ops["warehouse__working_copy"] = {"config": {"reprocess_from": reprocess[0], "reprocess_to": reprocess[1]}}
    run_config = {"ops": ops} if ops else {}
    job = defs.resolve_job_def("nightly" if include_report else "warehouse_only")
    with run_lock():
        return job.execute_in_process(instance=dg.DagsterInstance.get(), run_config=run_config,
                                      raise_on_error=False)


def failure_headline(result) -> str:
    """What a failed nightly left published: nothing new, or (a failure after the publish step, e.g. the report
    build) the new warehouse beside the last published report."""
    published = any(e.is_step_success and e.step_key == "warehouse__published" for e in result.all_events)
    if published:
        return (f"nightly run {result.run_id} FAILED after publishing the warehouse at {paths.published_warehouse()}; "
                "the last published report is unchanged.")
    return f"nightly run {result.run_id} FAILED; the last published warehouse and report are unchanged."


DBT_ERRORS_MARKER = "Errors parsed from dbt logs:"  # in dagster-dbt's DagsterDbtCliRuntimeError message
FAILURE_LINE_LIMIT = 2000


def step_failure_lines(result) -> list[str]:
    """`- step: cause` for each failed step of a Dagster run result, as the command line prints them. dagster-dbt's
    error message starts with the whole dbt command line (thousands of characters: the gates' vars and the left-out
    nodes) and only then the errors it parsed from dbt's log; those errors are the line, so the cause is not cut.
    A `dagster.Failure` raised on purpose by an asset is its description, without the class name; any other error
    is the one the asset raised (class and message), not Dagster's wrapper around it."""
    lines = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error.cls_name == "DagsterExecutionStepExecutionError" and error.cause is not None:
                error = error.cause
            message = error.message.strip()
            if error.cls_name == "Failure":
                message = message.split("Failure: ", 1)[-1]
            if DBT_ERRORS_MARKER in message:
                message = "dbt failed: " + message.split(DBT_ERRORS_MARKER, 1)[1].strip()
            lines.append(f"- {event.step_key}: {message[:FAILURE_LINE_LIMIT]}")
    return lines


def cmd_run(args) -> int:
    from datetime import date

    from opsready.gates import date_problem

    if args.as_of and (problem := date_problem(args.as_of)):
        print(f"opsready run: --as-of {args.as_of}: {problem}", file=sys.stderr)
        return 2
    reprocess = None
    if args.reprocess_from or args.reprocess_to:
        try:
            first = date.fromisoformat(args.reprocess_from or args.reprocess_to)
            last = date.fromisoformat(args.reprocess_to or args.reprocess_from)
        except ValueError as exc:
            print(f"opsready run: --reprocess-from/--reprocess-to: {exc} (expected YYYY-MM-DD)", file=sys.stderr)
            return 2
        if first > last:
            print(f"opsready run: --reprocess-from {first} is after --reprocess-to {last}", file=sys.stderr)
            return 2
        reprocess = (first.isoformat(), last.isoformat())
    result = run_nightly(as_of=args.as_of, include_report=not args.no_report, reprocess=reprocess,
                         history=args.history)
    if result.success:
        print(f"nightly run {result.run_id} succeeded; warehouse published at {paths.published_warehouse()}")
        return 0
    print(failure_headline(result), file=sys.stderr)
    for line in step_failure_lines(result):
        print(line, file=sys.stderr)
    return 1


def cmd_sql(args) -> int:
    import duckdb

    db = paths.published_warehouse()
    if not db.exists():
        print(f"opsready: no published warehouse at {db}; run `make run` (or `opsready run`) first", file=sys.stderr)
        return 2
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            rel = con.sql(args.query)
            if rel is None:
                return 0
            if args.format == "csv":
                rel.to_df().to_csv(sys.stdout, index=False)
            else:
                rel.show(max_rows=args.max_rows, max_width=200)
    except duckdb.Error as exc:
        print(f"opsready sql: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_report(args) -> int:
    from opsready import report

    try:
        if not args.serve_only:
            site = report.build_report(paths.published_warehouse(), paths.published_report())
            print(f"report published at {site}")
        if args.serve or args.serve_only:
            report.serve(paths.published_report(), port=args.port)
    except (FileNotFoundError, report.ReportBuildError) as exc:  # nothing published yet, or the build failed
        print(f"opsready report: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_where(args) -> int:
    print(f"warehouse : {paths.published_warehouse()}")
    print(f"report    : {paths.published_report() / 'index.html'}  (view: opsready report --serve-only)")
    print(f"landing   : {paths.landing_dir()}")
    print(f'try       : opsready sql "{EXAMPLE_QUERY}"')
    return 0


def cmd_ui(args) -> int:
    quiet_telemetry()
    dagster_home()
    paths.export_warehouse_env()
    from orchestration.transform.project import ensure_manifest

    ensure_manifest()
    dagster = Path(sys.executable).with_name("dagster")
    os.execv(str(dagster), [str(dagster), "dev", "-m", "orchestration.definitions", "-h", "127.0.0.1",
                            "-p", str(args.port)])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="opsready", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="write the deterministic sample estate into $OPSREADY_DATA/landing")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--scale", type=positive_float, default=1.0, help="multiplies lines and events (default 1)")
    p.add_argument("--out", help="data root to write (default $OPSREADY_DATA)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("run", help="run the nightly job once, in process, and publish")
    p.add_argument("--as-of", help="readiness date YYYY-MM-DD (default: latest extract date loaded)")
    p.add_argument("--no-report", action="store_true", help="skip the report build")
    p.add_argument("--history", action="store_true",
                   help="also evaluate the readiness gates on every month end since the earliest data "
                        "(the first run on a warehouse does this anyway)")
    p.add_argument("--reprocess-from", metavar="YYYY-MM-DD",
                   help="first MES extract date whose plant-days this run recomputes from raw (with --reprocess-to; "
                        "one date if only one is given)")
    p.add_argument("--reprocess-to", metavar="YYYY-MM-DD", help="last MES extract date to recompute")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("sql", help="run a read-only query on the published warehouse")
    p.add_argument("query")
    p.add_argument("--format", choices=["table", "csv"], default="table")
    p.add_argument("--max-rows", type=int, default=100)
    p.set_defaults(func=cmd_sql)

    p = sub.add_parser("report", help="build the readiness report from the published warehouse")
    p.add_argument("--serve", action="store_true", help="serve it on 127.0.0.1 after building")
    p.add_argument("--serve-only", action="store_true", help="serve the last published report without building")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("where", help="print where the warehouse and report are")
    p.set_defaults(func=cmd_where)

    p = sub.add_parser("ui", help="start the Dagster UI on 127.0.0.1")
    p.add_argument("--port", type=int, default=3000)
    p.set_defaults(func=cmd_ui)

    for register in _extra_commands():
        register(sub)
    return parser


def _extra_commands():
    """Commands that live beside their domain (gate, backfill) register themselves here when present."""
    found = []
    try:
        from opsready.gates import register_cli

        found.append(register_cli)
    except ModuleNotFoundError as exc:
        if exc.name != "opsready.gates":
            raise
    return found


def main(argv: list[str] | None = None) -> int:
    quiet_telemetry()
    args = build_parser().parse_args(argv)
    return args.func(args)


SIGPIPE_EXIT = 141  # what a shell reports for a process killed by SIGPIPE (128 + 13)


def entry_point() -> None:
    """`opsready` and `python -m opsready.cli`: run the command, run the exit handlers (logging's flush among them),
    then leave without the interpreter's teardown. After a nightly the process holds millions of objects (Dagster's
    definitions, the dbt manifest, the run's events) whose one-by-one release took 1.5-2 s of every run, measured; by
    then every warehouse, report and Dagster write is committed and closed (no DuckDB connection is left open)."""
    import atexit

    try:
        code = main()
    except BrokenPipeError:  # the reader stopped early (`opsready gate ... | head -3`): no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # what is still buffered goes nowhere
        code = SIGPIPE_EXIT
    atexit._run_exitfuncs()  # what a normal exit runs first
    for stream in (sys.stdout, sys.stderr):
        with suppress(BrokenPipeError):  # e.g. `opsready sql ... | head -1`
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    entry_point()
