"""`opsready`: generate the sample estate, run the nightly, query the warehouse, check a gate, build the report."""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import shutil
import sys
from contextlib import suppress
from pathlib import Path

import pydantic

from opsready import __version__, catalog, console, gate_commands, preview, report, sql
from opsready.paths import SettingError, Settings
from opsready.quarantine import quarantine_summary
from opsready.sample import generate
from orchestration.resources import NightOptions
from orchestration.runtime import RunLocked, published_by, quiet_telemetry, run_job, start_process, step_failure_lines

EXAMPLE_QUERY = "select company, pilot_to_scale_rate, tier from marts.pilot_to_scale where grain='company'"


def positive_float(text: str) -> float:
    """argparse type: a number > 0."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def cmd_generate(args) -> int:
    out = Path(args.out) if args.out else Settings.from_env().data_root
    manifest = generate(out, seed=args.seed, scale=args.scale)
    files = manifest.get("files", [])
    print(f"sample estate written to {out / 'landing'}: {len(files)} files, "
          f"{sum(f.get('rows', 0) for f in files):,} rows (seed {args.seed}, scale {args.scale}); "
          f"ground truth in {out / 'manifest.json'}")
    return 0


def failure_headline(result, settings: Settings) -> str:
    """What a failed nightly left published: nothing new, or (a failure after the publish step, e.g. the report
    build) the new warehouse beside the last published report."""
    if published_by(result):
        return (f"nightly run {result.run_id} FAILED after publishing the warehouse at {settings.published_warehouse}; "
                "the last published report is unchanged.")
    return f"nightly run {result.run_id} FAILED; the last published warehouse and report are unchanged."


OPTION_OF_FIELD = {"as_of": "--as-of", "reprocess_from": "--reprocess-from", "reprocess_to": "--reprocess-to",
                   "readiness_dates": "--dates"}


def night_options(command: str, **values) -> NightOptions | None:
    """The run's options, checked once by NightOptions itself; a refused value is printed with the option it came
    from (`as_of` is `--as-of`) and None returned."""
    try:
        return NightOptions(**values)
    except pydantic.ValidationError as exc:
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            for field, option in OPTION_OF_FIELD.items():
                message = message.replace(field, option)
            if error["loc"]:
                message = f"{OPTION_OF_FIELD.get(str(error['loc'][0]), error['loc'][0])} {error['input']}: {message}"
            print(f"opsready {command}: {message}", file=sys.stderr)
        return None


def cmd_run(args) -> int:
    night = night_options("run", as_of=args.as_of or "",
                          reprocess_from=args.reprocess_from or args.reprocess_to or "",
                          reprocess_to=args.reprocess_to or args.reprocess_from or "", full_history=args.history)
    if night is None:
        return 2
    settings = Settings.from_env()
    with console.RunConsole(level=args.log_level) as run_console:
        try:
            result = run_job(settings, "warehouse_only" if args.no_report else "nightly", night,
                             loggers=run_console.dagster_loggers(), on_event=run_console.on_event)
        except RunLocked as exc:
            print(f"opsready run: {exc}", file=sys.stderr)
            return 1
        code = run_console.finish(result, step_failure_lines(result), failure_headline(result, settings))
    if result.success:
        print(f"nightly run {result.run_id} succeeded; warehouse published at {settings.published_warehouse}")
        # 0, or 3: files quarantined whole, each named last
        return max(code, quarantine_summary(settings.published_warehouse, result.run_id))
    return 1


def cmd_report(args) -> int:
    settings = Settings.from_env()
    try:
        if not args.serve_only:
            site = report.build_report(settings.published_warehouse, settings.published_report)
            print(f"report published at {site}")
        if args.serve or args.serve_only:
            report.serve(settings.published_report, port=args.port)
    except (FileNotFoundError, report.ReportBuildError) as exc:  # nothing published yet, or the build failed
        print(f"opsready report: {exc}", file=sys.stderr)
        return 1
    return 0


def opsready_command() -> str:
    """`opsready` when that name on PATH is this installation, else the full path of this venv's command."""
    here = Path(sys.executable).with_name("opsready")
    on_path = shutil.which("opsready")
    return "opsready" if on_path and Path(on_path).resolve() == here.resolve() else str(here)


def cmd_where(args) -> int:
    settings = Settings.from_env()
    command = opsready_command()
    print(f"warehouse : {settings.published_warehouse}")
    print(f"report    : {settings.published_report / 'index.html'}  (view: {command} report --serve-only)")
    print(f"landing   : {settings.landing_dir}")
    print(f'try       : {command} sql "{EXAMPLE_QUERY}"')
    return 0


def cmd_ui(args) -> int:
    start_process(Settings.from_env())  # `dg dev` loads orchestration.definitions with these settings
    # `dg dev` (dagster-dg-cli): Dagster's supported command for the webserver and daemon; `dagster dev` is superseded
    dg = Path(sys.executable).with_name("dg")
    os.execv(str(dg), [str(dg), "dev", "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(args.port)])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="opsready", description=__doc__)
    parser.add_argument("--version", action="version", version=f"opsready {__version__}")
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
    p.add_argument("--log-level", type=console.log_level, default=logging.INFO, metavar="LEVEL",
                   help="console detail: DEBUG, INFO (default: a line per phase), WARNING or ERROR; the log file "
                        "under $OPSREADY_DATA/logs always has everything")
    p.add_argument("-v", "--verbose", dest="log_level", action="store_const", const=logging.DEBUG,
                   help="the same as --log-level DEBUG")
    p.set_defaults(func=cmd_run)

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

    gate_commands.register_cli(sub)
    preview.register_cli(sub)
    sql.register_cli(sub)
    catalog.register_cli(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    quiet_telemetry()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SettingError as exc:  # a bad OPSREADY_* setting: named, no traceback
        print(f"opsready {args.command}: {exc}", file=sys.stderr)
        return 2


SIGPIPE_EXIT = 141  # what a shell reports for a process killed by SIGPIPE (128 + 13)


def entry_point() -> None:
    """`opsready` and `python -m opsready.cli`: run the command, run the exit handlers (logging's flush among them),
    then leave without the interpreter's teardown. After a nightly the process holds millions of objects (Dagster's
    definitions, the dbt manifest, the run's events) whose one-by-one release costs seconds of every run; by
    then every warehouse, report and Dagster write is committed and closed (no DuckDB connection is left open)."""
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
