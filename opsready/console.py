"""What `opsready run` prints: one line per phase with counts and timings, warnings repeated at the end, a verdict.

The detail goes to a log file under `$OPSREADY_DATA/logs/` (its path printed first and last), through Python's
logging: every Dagster event of the run (the instance's event listener for the run), every line dbt writes
(dagster-dbt echoes dbt's events on standard output, which the run sends to the `opsready.dbt` logger), Python
warnings. Dagster's own console logger is set to CRITICAL for the run through the run config, so the console carries
only the `opsready.run` logger: at INFO the phase lines, a heartbeat when a step has run 30 s, 60 s, 120 s...
(on a terminal instead a live status line with dbt's nodes done/total), warnings as they happen.
`--log-level DEBUG` (`-v`) puts the whole detail on the console too.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import duckdb

from opsready import connect, paths

CONSOLE_WIDTH = 200  # no console line longer than this (the full text is in the log file)
HEARTBEAT_SECONDS = 30
KEEP_LOGS = 30
DBT_RESULT = re.compile(r"^\s*(\d+) of (\d+) (OK|PASS|WARN|ERROR|FAIL|SKIP)\b")

PHASES = {  # step key -> what the line calls it
    "warehouse__working_copy": "working copy",
    "landing": "ingest",
    "landing_checks": "ingest checks",
    "audit__source_freshness": "source freshness",
    "opsready_dbt_models": "dbt build",
    "plant_readiness_verdicts": "readiness verdicts",
    "warehouse__published": "publish",
    "report__readiness_site": "report build",
}


def clip(text: str, width: int = CONSOLE_WIDTH) -> str:
    """The first line of `text`, at most `width` characters."""
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return first if len(first) <= width else first[: width - 1] + "…"


def log_level(text: str) -> int:
    """argparse type: a logging level name (DEBUG, INFO, WARNING, ERROR)."""
    level = logging.getLevelName(text.upper())
    if not isinstance(level, int):
        raise ValueError(text)
    return level


def log_dir() -> Path:
    return paths.data_root() / "logs"


def new_log_path(now: datetime | None = None) -> Path:
    """`$OPSREADY_DATA/logs/run-YYYYmmdd-HHMMSS.log`; the oldest beyond KEEP_LOGS are removed."""
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("run-*.log"))[: -(KEEP_LOGS - 1) or None]:
        old.unlink(missing_ok=True)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    path, n = folder / f"run-{stamp}.log", 1
    while path.exists():
        n += 1
        path = folder / f"run-{stamp}-{n}.log"
    return path


class ConsoleHandler(logging.StreamHandler):
    """A stream handler that clears the live status line (on a terminal) before each record."""

    def __init__(self, stream, live: bool):
        super().__init__(stream)
        self.live = live
        self.status_shown = False

    def emit(self, record):
        with self.lock:
            if self.status_shown:
                self.stream.write("\r\033[K")
                self.status_shown = False
        super().emit(record)

    def status(self, text: str) -> None:
        with self.lock:
            self.stream.write("\r\033[K" + clip(text, CONSOLE_WIDTH - 1))
            self.stream.flush()
            self.status_shown = True


class WarningCollector(logging.Handler):
    """Warnings from any logger outside opsready's own (ingest's, a library's): shown and kept for the end."""

    def __init__(self, console: RunConsole):
        super().__init__(logging.WARNING)
        self.console = console

    def emit(self, record):
        if record.name != "py.warnings":  # a library's deprecation notice is for developers: the log file has it
            self.console._warn(f"{record.name}: {record.getMessage()}")


class DbtOutput(io.TextIOBase):
    """Standard output during the run: dagster-dbt echoes dbt's events here. Each line goes to the `opsready.dbt`
    logger (the log file); dbt's `N of M STATUS` result lines also count the nodes done."""

    def __init__(self, console: RunConsole):
        self.console = console
        self.pending = ""
        self.logger = logging.getLogger("opsready.dbt")

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            if line.strip():
                self.logger.debug(line)
                self.console.last_output = line.strip()
                if match := DBT_RESULT.match(line):
                    self.console.dbt_result(int(match.group(1)), int(match.group(2)), match.group(3))
        return len(text)

    def flush(self) -> None:
        pass


def _own_stderr():
    """A stream on a copy of the standard error descriptor. During a run Dagster's compute-log capture points the
    descriptor itself at a file and mirrors it to the terminal through a `tail` process, which can drop the last
    lines when the run ends; the copy keeps the console's lines direct."""
    try:
        return os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1, encoding=sys.stderr.encoding or "utf-8")
    except (AttributeError, OSError, ValueError):  # no descriptor (e.g. a captured stream): write to it as it is
        return sys.stderr


class RunConsole:
    """The console and log file of one `opsready run`. Use as a context manager around the run; hand
    `on_event` to the Dagster instance as the run's event listener and `dagster_loggers` into the run config;
    `finish(result)` prints the end and returns the exit status."""

    def __init__(self, level: int = logging.INFO, stream=None, log_path: Path | None = None):
        self.level = level
        self.own_stream = stream is None
        self.stream = stream or _own_stderr()
        self.log_path = log_path or new_log_path()
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty() and level >= logging.INFO
        self.log = logging.getLogger("opsready.run")
        self.started = time.monotonic()
        self.step_started: dict[str, float] = {}
        self.finished: set[str] = set()
        self.next_beat: dict[str, float] = {}  # step -> its running time at the next heartbeat line
        self.last_line = self.started
        self.lock = threading.Lock()
        self.landing: dict[str, int] = {}
        self.checks: dict[str, list[int]] = {}  # step -> [evaluated, failed]
        self.warnings: list[str] = []
        self.dbt_warnings = 0
        self.dbt_stands = False  # a quiet night: the published build's results stand, its warnings are counted
        self.dbt_done = 0
        self.dbt_total = 0
        self.dbt_status: dict[str, int] = {}
        self.last_output = ""  # the last line a step printed (the report build says which tool it runs)
        self._stop = threading.Event()

    # -- set-up ------------------------------------------------------------------------------------------------
    def __enter__(self) -> RunConsole:
        file_handler = logging.FileHandler(self.log_path, encoding="utf-8")
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self.console_handler = ConsoleHandler(self.stream, self.live)
        self.console_handler.setLevel(self.level)
        self.console_handler.setFormatter(logging.Formatter("%(message)s"))
        self.file_handler = file_handler
        base = logging.getLogger("opsready")
        self.base_settings = (base.level, base.propagate)
        base.setLevel(logging.DEBUG)
        base.propagate = False
        base.addHandler(file_handler)
        # the phase lines always reach the console; the detail loggers only at DEBUG
        (base if self.level <= logging.DEBUG else self.log).addHandler(self.console_handler)
        # the libraries' and ingest's own loggers (and Python warnings): INFO and up to the file, warnings also
        # collected for the end of the run
        logging.captureWarnings(True)
        root = logging.getLogger()
        self.root_level = root.level
        root.setLevel(logging.INFO)
        self.collector = WarningCollector(self)
        root.addHandler(file_handler)
        root.addHandler(self.collector)
        self.stdout = sys.stdout
        sys.stdout = DbtOutput(self)
        self.heartbeat = threading.Thread(target=self._beat, name="opsready-heartbeat", daemon=True)
        self.heartbeat.start()
        self.log.info(f"opsready run: loading the pipeline; full log in {self.log_path}")
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.heartbeat.join(timeout=2)
        sys.stdout = self.stdout
        root = logging.getLogger()
        for logger in (logging.getLogger("opsready"), self.log, root):
            for handler in (self.console_handler, self.file_handler, self.collector):
                if handler in logger.handlers:
                    logger.removeHandler(handler)
        root.setLevel(self.root_level)
        logging.getLogger("opsready").setLevel(self.base_settings[0])
        logging.getLogger("opsready").propagate = self.base_settings[1]
        logging.captureWarnings(False)
        self.file_handler.close()
        if self.stream is not sys.stderr and self.own_stream:
            self.stream.close()

    @staticmethod
    def dagster_loggers() -> dict:
        """Run config for Dagster's console logger: silent on the console (its events reach the log file through
        `on_event`)."""
        return {"console": {"config": {"log_level": "CRITICAL"}}}

    # -- events ------------------------------------------------------------------------------------------------
    def elapsed(self) -> str:
        return f"[{time.monotonic() - self.started:6.1f}s]"

    def say(self, text: str, level: int = logging.INFO) -> None:
        with self.lock:
            self.last_line = time.monotonic()
        self.log.log(level, clip(f"{self.elapsed()} {text}"))

    def on_event(self, entry) -> None:
        """The Dagster instance's listener for this run: every event to the log file, phases to the console."""
        event = entry.dagster_event
        kind = event.event_type_value if event else "LOG"
        message = entry.user_message or (event.message if event and event.message else "")
        # the layout of Dagster's own console lines (step - event type - message), so a search for them still works
        logging.getLogger("opsready.dagster").log(entry.level, f"{entry.step_key or '-'} - {kind} - {message}")
        try:
            self._account(entry, event, kind, message)
        except Exception:  # noqa: BLE001 - the console's bookkeeping must never fail the run
            logging.getLogger("opsready.console").exception("console bookkeeping failed")

    def _account(self, entry, event, kind: str, message: str) -> None:
        step = entry.step_key
        if kind in ("RUN_START", "PIPELINE_START"):  # Dagster's run start keeps its old value
            self.say(f"run {entry.run_id} of job {entry.job_name} started")
        elif kind == "STEP_START":
            self.step_started[step] = time.monotonic()
            self.last_output = ""
        elif kind == "ASSET_MATERIALIZATION" and step == "warehouse__published":
            dbt_not_run = event.event_specific_data.materialization.metadata.get("dbt_not_run")
            if dbt_not_run is not None:
                self.dbt_stands = True
                self.say(f"dbt build: not run: {dbt_not_run.value}")
        elif kind == "ASSET_MATERIALIZATION" and step in ("landing", "warehouse__working_copy"):
            for key, value in event.event_specific_data.materialization.metadata.items():
                if isinstance(getattr(value, "value", None), int):
                    self.landing[key] = self.landing.get(key, 0) + value.value
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            counts = self.checks.setdefault(step, [0, 0])
            counts[0] += 1
            if not evaluation.passed and not evaluation.check_name.startswith("ready_"):
                counts[1] += 1  # a plant's readiness check failing is its verdict, not a warning
                if step == "opsready_dbt_models":
                    self.dbt_warnings += 1
                what = evaluation.description or ""
                failed_rows = evaluation.metadata.get("dagster_dbt/failed_row_count")
                rows = f" ({failed_rows.value:,} rows)" if failed_rows is not None else ""
                self._warn(f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed{rows}"
                           + (f": {what}" if what else ""))
        elif kind == "LOG" and entry.level >= logging.WARNING:
            self._warn(f"{step or 'run'}: {message}")
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            self.finished.add(step)
            self._phase_line(step, kind)
        elif kind == "STEP_UP_FOR_RETRY":
            self.say(f"{PHASES.get(step, step)}: failed, retrying: {clip(message, 120)}", logging.WARNING)

    def _warn(self, text: str) -> None:
        self.warnings.append(text)
        self.say("warning: " + text, logging.WARNING)

    def _phase_line(self, step: str, kind: str) -> None:
        took = time.monotonic() - self.step_started.get(step, time.monotonic())
        name = PHASES.get(step, step)
        if kind == "STEP_FAILURE":
            self.say(f"{name}: FAILED after {took:.1f} s", logging.ERROR)
            return
        if kind == "STEP_SKIPPED":
            self.say(f"{name}: skipped (an earlier step failed)")
            return
        detail = ""
        if step == "warehouse__working_copy":
            size = self.landing.get("size_bytes", 0)
            detail = f"{size / 1e6:,.0f} MB copied from the published warehouse" if size > 1e6 else "a new warehouse"
        elif step == "landing":
            c = self.landing
            new = c.get("files_loaded", 0) + c.get("files_replaced", 0)
            detail = (f"{new} files new ({c.get('files_replaced', 0)} replacing earlier ones), "
                      f"{c.get('files_skipped', 0)} already loaded, "
                      f"{c.get('files_quarantined', 0)} quarantined whole; {c.get('rows_loaded', 0):,} rows loaded, "
                      f"{c.get('rows_quarantined', 0):,} quarantined; "
                      f"GX validating {c.get('great_expectations_ms', 0) / 1000:.1f} s")  # the line fits CONSOLE_WIDTH
        elif step == "opsready_dbt_models":
            by = self.dbt_status
            detail = (f"{self.dbt_done}/{self.dbt_total} nodes done ({by.get('OK', 0)} built, {by.get('PASS', 0)} "
                      f"tests passed, {by.get('WARN', 0)} warned, {by.get('ERROR', 0) + by.get('FAIL', 0)} failed, "
                      f"{by.get('SKIP', 0)} skipped)")
        elif step in self.checks:
            evaluated, failed = self.checks[step]
            detail = f"{evaluated} checks, {failed} failed"
        elif step == "warehouse__published":
            detail = f"at {paths.published_warehouse()}"
        elif step == "report__readiness_site":
            detail = f"at {paths.published_report()}"
        self.say(f"{name}: {detail + ' ' if detail else ''}({took:.1f} s)")

    def dbt_result(self, done: int, total: int, status: str) -> None:
        self.dbt_done, self.dbt_total = max(self.dbt_done, done), total
        self.dbt_status[status] = self.dbt_status.get(status, 0) + 1

    def _beat(self) -> None:
        """A heartbeat while a step runs: on a terminal a live status line each second, otherwise a line when the
        step has run HEARTBEAT_SECONDS, then twice that, and so on (a long report build says it is alive in a few
        lines)."""
        while not self._stop.wait(1.0):
            running = [s for s in list(self.step_started) if s not in self.finished]
            if not running:
                continue
            step = running[-1]
            took = time.monotonic() - self.step_started[step]
            if step == "opsready_dbt_models":
                progress = f", {self.dbt_done}/{self.dbt_total} dbt nodes" if self.dbt_total else ", dbt starting"
            else:
                progress = f"; last: {clip(self.last_output, 80)}" if self.last_output else ""
            text = f"{self.elapsed()} {PHASES.get(step, step)}: running ({took:.0f} s{progress})"
            if self.live:
                self.console_handler.status(text + self._bar(step))
            elif took >= self.next_beat.get(step, HEARTBEAT_SECONDS):
                self.next_beat[step] = 2 * self.next_beat.get(step, HEARTBEAT_SECONDS)  # 30 s, 60 s, 120 s, ...
                self.say(f"{PHASES.get(step, step)}: still running ({took:.0f} s{progress})")

    def _bar(self, step: str, width: int = 30) -> str:
        if step != "opsready_dbt_models" or not self.dbt_total:
            return ""
        filled = int(width * self.dbt_done / self.dbt_total)
        return " [" + "#" * filled + "." * (width - filled) + "]"

    # -- the end -----------------------------------------------------------------------------------------------
    def finish(self, result, failure_lines: list[str], failure_headline: str) -> int:
        """Print the warnings again, the verdict and where the log is; return the exit status (0 published,
        1 failed, 3 published but files were quarantined whole)."""
        if self.warnings:
            self.log.warning(f"warnings ({len(self.warnings)}):")
            for text in self.warnings:
                self.log.warning(clip("  - " + text))
        code = 0
        if result.success:
            try:
                verdict, whole_files = self.verdict(result.run_id)
            except duckdb.Error as exc:  # a warehouse without the marts the verdict reads: say so, the run stands
                verdict, whole_files = f"published; no verdict: {exc}", 0
            self.log.info(clip(verdict))
            code = 3 if whole_files else 0
        else:
            self.log.error(clip(failure_headline))
            for line in failure_lines:  # whole: the cause is the one thing the operator must read in full
                self.log.error(line)
        self.log.info(f"full log: {self.log_path}")
        return code

    def verdict(self, run_id: str) -> tuple[str, int]:
        """'published; N plants can advance, M blocked; R rows quarantined; W dbt warnings', counted from the
        published warehouse; and how many files this run quarantined whole."""
        with connect.published(paths.published_warehouse()) as con:
            columns = {r[0] for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'plant_readiness'").fetchall()}
            verdict = "verdict" if "verdict" in columns else \
                "case when ready then 'at top wave' else 'blocked' end"
            # the latest readiness date: a first run also holds every month end since the earliest data
            plants = dict(con.execute(f"select {verdict}, count(*) from marts.plant_readiness "
                                      "where as_of = (select max(as_of) from marts.plant_readiness) group by 1"
                                      ).fetchall())
            rows, whole = con.execute(
                "select coalesce(sum(rows_quarantined), 0), count(*) filter (where status = 'quarantined') "
                "from audit.load_log where run_id = ?", [run_id]).fetchone()
            if self.dbt_stands:
                (results,), = con.execute("select run_results from audit.dbt_build_state").fetchall()
                self.dbt_warnings = sum(r["status"] == "warn" for r in json.loads(results)["results"])
        parts = [f"{plants.get('can advance', 0)} plants can advance", f"{plants.get('blocked', 0)} blocked"]
        if plants.get("at top wave"):
            parts.append(f"{plants['at top wave']} at the top wave")
        files = f"; {whole} files quarantined whole" if whole else ""
        plural = "s" if self.dbt_warnings != 1 else ""
        return (f"published; {', '.join(parts)}; {int(rows):,} rows quarantined{files}; "
                f"{self.dbt_warnings} dbt warning{plural}", whole)
