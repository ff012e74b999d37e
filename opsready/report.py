"""The readiness report: export the published warehouse's marts to a feed file, build the Evidence site
offline under a hard timeout, and swap the new site in atomically.

Public interface (the Dagster asset and `opsready report [--serve]` call these):

- `export_feed(published_warehouse, feed_path)` -> the feed DuckDB file (storage v1.0.0, what Evidence's Node
  DuckDB can read), holding every `marts` table, `audit.readiness_history` and audit summaries (quarantine counts,
  load counts); raises `ReportInputError` (nothing built, last site kept) when a table or column the report
  reads (`REPORT_INPUTS`) is missing.
- `build_report(published_warehouse=None, site_dir=None, timeout_s=900, full=False)` -> the published site folder;
  prints a progress line every few seconds while Evidence works, and publishes a gzip copy beside each text file.
  When nothing the compiled app depends on (`APP_INPUTS`, the installed packages) changed since the last full
  `evidence build` in this checkout, only the pages are prerendered again with the new data
  (`reports/rerender.mjs`); `full=True` forces the whole build.
- `serve(site_dir, host="127.0.0.1", port=8000)` -> serves the site until interrupted (gzip where accepted).

Pages are prerendered; the browser reads their query results from Arrow files and loads no DuckDB-Wasm (see
`reports/patches/@evidence-dev+universal-sql+3.0.1.patch`), so a cold page load is a few MB.
"""

from __future__ import annotations

import fcntl
import functools
import gzip
import hashlib
import http.server
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from opsready import connect, paths

#: Where the Evidence project lives.
REPORTS_PROJECT = paths.project_root() / "reports"
#: Name of the Evidence data source (folder under `reports/sources/`, and the env var's middle part).
SOURCE_NAME = "opsready"

#: What the report's source queries (`reports/sources/opsready/*.sql`) read: table -> columns. The export checks
#: these against the published warehouse and refuses (ReportInputError) when one is missing, so a schema change
#: fails the build loudly and the last published site stays, instead of publishing empty pages.
REPORT_INPUTS: dict[str, tuple[str, ...]] = {
    "marts.pilot_to_scale": ("grain", "grain_value", "company", "as_of", "pilots_started", "pilots_concluded",
                             "pilots_scaled", "pilots_stopped", "pilots_stalled", "pilots_running",
                             "pilot_to_scale_rate", "tier"),
    "marts.pilot_purgatory": ("pilot_id", "pilot_name", "company", "plant_id", "initiative_id", "initiative_name",
                              "wave", "technology", "started_on", "planned_end_on", "as_of", "days_overdue"),
    "marts.pilot_register": ("pilot_id", "as_of", "company", "plant_id", "pilot_name", "initiative_id",
                             "initiative_name", "technology", "wave", "scope", "started_on", "planned_end_on",
                             "status", "days_overdue"),
    "marts.benefit_realisation": ("as_of", "company", "plant_id", "initiative_id", "initiative_name", "technology",
                                  "wave", "planned_annual_benefit", "annualised_benefit", "realisation",
                                  "measured_months", "spend", "change_multiple", "payback_months"),
    "marts.spend_by_year": ("company", "posting_year", "currency", "total_spend", "license_spend", "change_multiple"),
    "marts.initiative_hygiene": ("company", "initiative_id", "initiative_name", "wave", "wishlist",
                                 "change_under_budgeted", "no_sunset", "wave_skipped", "big_bang"),
    "marts.fct_oee_daily": ("day",),
    "marts.oee_rollup": ("level", "grain", "period_start", "company", "plant_id", "pbt_s", "apt_s", "adot_s",
                         "availability", "effectiveness", "quality_rate", "oee", "unplanned_downtime_pct"),
    "marts.plant_mdq": ("company", "plant_id", "as_of", "completeness", "validity", "uniqueness", "consistency",
                        "timeliness", "mdq_score"),
    "marts.mdq_failing_records": ("company", "plant_id", "entity", "record_key", "dimension", "rule", "as_of"),
    "marts.plant_readiness": ("company", "plant_id", "plant_name", "as_of", "current_wave", "next_wave", "ready",
                              "blocking_gate", "verdict", "blocked_by"),
    "marts.readiness_criteria": ("company", "plant_id", "as_of", "gate", "criterion", "label", "unit",
                                 "criterion_order", "value", "comparator", "threshold", "passed", "is_evaluated",
                                 "status", "status_reason"),
    "marts.gate_definitions": ("gate", "from_wave", "to_wave", "gate_name", "criterion", "criterion_order", "label",
                               "unit", "metric", "comparator", "threshold", "window_days", "description"),
    "marts.gate_gap": ("company", "plant_id", "plant_name", "as_of", "gate", "from_wave", "to_wave", "criterion",
                       "label", "unit", "comparator", "value", "threshold", "distance", "distance_share",
                       "trend_per_day", "history_points", "forecast_pass_on", "forecast_note"),
    "marts.nightly_changes": ("as_of", "previous_as_of", "change_type", "company", "plant_id", "subject", "label",
                              "before_value", "after_value"),
    "marts.plant_roi": ("company", "plant_id", "plant_name", "initiatives_reached", "planned_annual_benefit",
                        "annualised_benefit", "realisation", "spend", "measured_months", "has_measurable_roi",
                        "payback_months"),
    "marts.downtime_by_reason_monthly": ("plant_id", "month", "reason_code", "reason_category",
                                         "is_catalogued_reason", "adot_s", "unplanned_stop_events"),
    "marts.readiness_timeline": ("company", "plant_id", "as_of", "current_wave", "ready", "blocking_gate",
                                 "wave_since", "blocked_since"),
    "audit.readiness_history": ("plant_id", "as_of", "gate", "criterion", "passed", "current_wave"),
    "audit.quarantine": ("source", "entity", "reason"),
    "audit.load_log": ("source", "entity", "extract_date", "file", "rows_read", "rows_loaded", "rows_quarantined",
                       "status", "message", "loaded_at"),
}

#: Site files published with a gzip copy beside them (see `precompress`).
PRECOMPRESSED_SUFFIXES = frozenset({".js", ".css", ".html", ".json", ".arrow", ".svg", ".webmanifest"})
#: Seconds between progress lines while an npm step runs.
HEARTBEAT_S = 10.0

#: What `evidence build` compiles the app from, relative to REPORTS_PROJECT (files, or folders taken whole). With the
#: installed packages (node_modules/.package-lock.json) and the VITE_/EVIDENCE_ settings (less the data source's
#: file name), they make the app key: the compiled app is reused while the key stays the same.
APP_INPUTS = ("pages", "partials", "components", "sources", "app.css", "evidence.config.yaml",
              "evidence.settings.json", "svelte.config.js", "slim-imports.js", "package.json", "package-lock.json",
              "patches", "node_modules/.package-lock.json")
#: Evidence's build folder (its copy of the SvelteKit template; `evidence build` empties it first).
TEMPLATE_DIR = REPORTS_PROJECT / ".evidence" / "template"
#: The app key of the compiled output the last full build left in TEMPLATE_DIR (removed when a build starts).
APP_KEY_FILE = TEMPLATE_DIR / ".svelte-kit" / "opsready-app.key"

#: Column types Evidence's DuckDB connector handles poorly, cast on export.
_CASTS = {"HUGEINT": "BIGINT", "UHUGEINT": "BIGINT", "UBIGINT": "BIGINT"}


class ReportBuildError(RuntimeError):
    """The Evidence build failed or timed out; the last published site is untouched."""


class ReportInputError(ReportBuildError):
    """The published warehouse lacks a table or column the report reads; nothing was built."""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _export_type(data_type: str) -> str | None:
    """The type to cast a warehouse column to in the feed, or None to keep it."""
    upper = data_type.upper()
    if upper in _CASTS:
        return _CASTS[upper]
    if upper.startswith("DECIMAL"):
        return "DOUBLE"
    return None


def missing_inputs(columns: dict[tuple[str, str], list[tuple[str, str]]]) -> list[str]:
    """`schema.table(column)` for every REPORT_INPUTS column absent from `columns` ((schema, table) -> columns)."""
    missing = []
    for qualified, wanted in REPORT_INPUTS.items():
        schema, table = qualified.split(".")
        present = {c for c, _ in columns.get((schema, table), [])}
        if not present:
            missing.append(f"{qualified} (table)")
            continue
        missing += [f"{qualified}({c})" for c in wanted if c not in present]
    return missing


def export_feed(published_warehouse: Path, feed_path: Path) -> Path:
    """Copy the report's inputs from the published warehouse (opened read-only) into a new DuckDB file that
    Evidence can read, written under a temporary name and renamed into place. Returns `feed_path`.

    The feed holds every `marts` table (types Evidence mishandles cast), `audit.readiness_history`, and two audit
    summaries: `audit.quarantine_summary` (rows by source, entity, reason) and `audit.load_summary` (files and rows
    by source and entity, skipped loads left out), `audit.freshness` (per source: the readiness date, latest extract
    loaded, last load time, files quarantined whole) and `audit.quarantined_files` (one row per file quarantined
    whole, with its message). Raises ReportInputError, writing nothing, when the warehouse
    lacks anything in REPORT_INPUTS."""
    published_warehouse = Path(published_warehouse)
    feed_path = Path(feed_path)
    if not published_warehouse.exists():
        raise FileNotFoundError(f"published warehouse not found: {published_warehouse} (run `opsready run` first)")
    with connect.published(published_warehouse) as src:
        columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for schema, table, column, data_type in src.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_schema in ('marts', 'audit') order by table_schema, table_name, ordinal_position"
        ).fetchall():
            columns.setdefault((schema, table), []).append((column, data_type))
    missing = missing_inputs(columns)
    if missing:
        raise ReportInputError(f"the published warehouse {published_warehouse} lacks what the report reads: "
                               + ", ".join(missing))

    feed_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = feed_path.with_name(f".{feed_path.name}.{os.getpid()}.tmp")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp), config={"storage_compatibility_version": "v1.0.0"})
    try:
        con.execute(f"ATTACH '{published_warehouse.as_posix()}' AS wh (READ_ONLY)")
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE SCHEMA audit")
        tables = [key for key in columns if key[0] == "marts"] + [("audit", "readiness_history")]
        for schema, table in tables:
            select = []
            for column, data_type in columns[(schema, table)]:
                cast = _export_type(data_type)
                select.append(f"CAST({_q(column)} AS {cast}) AS {_q(column)}" if cast else _q(column))
            con.execute(f"CREATE TABLE {schema}.{_q(table)} AS SELECT {', '.join(select)} "
                        f"FROM wh.{schema}.{_q(table)}")
        con.execute(
            "CREATE TABLE audit.quarantine_summary AS SELECT source, entity, reason, count(*)::BIGINT AS rows "
            "FROM wh.audit.quarantine GROUP BY ALL"
        )
        con.execute(
            "CREATE TABLE audit.load_summary AS SELECT source, entity, count(*)::BIGINT AS files, "
            "sum(rows_read)::BIGINT AS rows_read, sum(rows_loaded)::BIGINT AS rows_loaded, "
            "sum(rows_quarantined)::BIGINT AS rows_quarantined "
            "FROM wh.audit.load_log WHERE status <> 'skipped' GROUP BY ALL"
        )
        # Dates as text: the pages print them as they are (Evidence shows a JS date, or 1970-01-01 for null).
        con.execute(
            "CREATE TABLE audit.freshness AS SELECT source, "
            "strftime((SELECT max(as_of) FROM wh.marts.plant_readiness), '%Y-%m-%d') AS as_of, "
            "strftime(max(extract_date) FILTER (WHERE status <> 'quarantined'), '%Y-%m-%d') AS latest_extract, "
            "strftime(max(loaded_at), '%Y-%m-%d %H:%M') AS last_loaded_at, "
            "count(*) FILTER (WHERE status = 'quarantined')::BIGINT AS files_quarantined_whole "
            "FROM wh.audit.load_log GROUP BY source"
        )
        con.execute(
            "CREATE TABLE audit.quarantined_files AS SELECT source, entity, strftime(extract_date, '%Y-%m-%d') "
            "AS extract_date, file, message, strftime(loaded_at, '%Y-%m-%d %H:%M') AS loaded_at "
            "FROM wh.audit.load_log WHERE status = 'quarantined'"
        )
        con.execute("DETACH wh")
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, feed_path)
    return feed_path


def _tool_env(feed_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    source_dir = REPORTS_PROJECT / "sources" / SOURCE_NAME
    env[f"EVIDENCE_SOURCE__{SOURCE_NAME}__filename"] = os.path.relpath(feed_path.resolve(), source_dir)
    env["EVIDENCE_SEND_ANONYMOUS_USAGE_STATS"] = "no"
    env["DO_NOT_TRACK"] = "1"
    env["NODE_ENV"] = "production"
    env.setdefault("NODE_OPTIONS", "--max-old-space-size=6144")
    return env


def app_key(env: dict[str, str]) -> str:
    """A hash of everything the compiled app depends on (APP_INPUTS' paths and bytes, the build settings), never of
    the data."""
    digest = hashlib.sha256()
    for name in APP_INPUTS:
        root = REPORTS_PROJECT / name
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            digest.update(path.relative_to(REPORTS_PROJECT).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() if path.is_file() else b"(missing)")
            digest.update(b"\0")
    for key in sorted(env):
        if key.startswith(("VITE_", "EVIDENCE_")) and not key.startswith("EVIDENCE_SOURCE__"):
            digest.update(f"{key}={env[key]}\0".encode())
    return digest.hexdigest()


def _compiled_app_matches(key: str) -> bool:
    """The last full build's compiled app is still in TEMPLATE_DIR and was compiled from the same inputs."""
    output = TEMPLATE_DIR / ".svelte-kit" / "output" / "server"
    try:
        return APP_KEY_FILE.read_text() == key and (output / "manifest-full.js").is_file()
    except OSError:
        return False


def _prerender_only(npm: str, env: dict[str, str], log_path: Path, deadline: float) -> Path | None:
    """Prerender the pages with the new data on the app the last full build compiled (`reports/rerender.mjs`) and
    return the built site's folder; None when that failed before the deadline (the caller then builds in full)."""
    print("[report] the app is unchanged since the last full build: prerendering the pages only", flush=True)
    built = TEMPLATE_DIR / "build"
    shutil.rmtree(built, ignore_errors=True)
    try:
        _run_step("prerender", [str(Path(npm).with_name("node")), "../../rerender.mjs"], _prerender_env(env),
                  log_path, deadline, cwd=TEMPLATE_DIR)
    except ReportBuildError as err:
        if time.monotonic() >= deadline:
            raise
        print(f"[report] {str(err).splitlines()[0]}; compiling the whole app instead", flush=True)
        return None
    return built


def _prerender_env(env: dict[str, str]) -> dict[str, str]:
    """What `evidence build` sets for the SvelteKit build it starts in the template (cli.js, buildHelper)."""
    return {**env, "EVIDENCE_DATA_URL_PREFIX": env.get("EVIDENCE_DATA_URL_PREFIX", "static/data"),
            "EVIDENCE_DATA_DIR": env.get("EVIDENCE_DATA_DIR", "./static/data"), "EVIDENCE_IS_BUILDING": "true"}


def _run_step(name: str, args: list[str], env: dict[str, str], log_path: Path, deadline: float,
              cwd: Path = REPORTS_PROJECT) -> float:
    """Run one step in its own process group, teeing output to the log; kill the group at the deadline."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ReportBuildError(f"report build timed out before `{name}` started")
    started = time.monotonic()
    cpu_before = _children_cpu_s()
    print(f"[report] {name}: {' '.join(args)} (timeout {remaining:.0f}s)", flush=True)
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"\n===== {name}: {' '.join(args)}\n")
        log.flush()
        proc = subprocess.Popen(
            args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            rc = _wait_with_heartbeat(proc, name, log_path, started, remaining)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise ReportBuildError(
                f"`{name}` timed out after {time.monotonic() - started:.0f}s; the last published site is kept.\n"
                + _tail(log_path)
            ) from None
        except BaseException:
            _kill_group(proc)
            raise
    elapsed = time.monotonic() - started
    if rc != 0:
        raise ReportBuildError(f"`{name}` failed (exit {rc}) after {elapsed:.0f}s; the last published site is kept.\n"
                               + _tail(log_path))
    print(f"[report] {name}: done in {elapsed:.1f}s ({_children_cpu_s() - cpu_before:.1f}s of CPU)", flush=True)
    return elapsed


def _children_cpu_s() -> float:
    """User + system CPU seconds of the finished child processes so far (the wall time on a shared machine says
    little about the build's own cost)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _last_log_line(log_path: Path) -> str:
    """The last non-empty line the npm step wrote (Evidence prints one per source query and page group)."""
    try:
        with open(log_path, "rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - 4096))
            tail = log.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    lines = [line.strip() for line in tail.replace("\r", "\n").splitlines()
             if line.strip() and not line.startswith("npm warn")]
    return lines[-1][:120] if lines else ""


def _prerendered_pages() -> int:
    """Pages SvelteKit has prerendered so far in this build (the build step's progress)."""
    output = TEMPLATE_DIR / ".svelte-kit" / "output" / "prerendered" / "pages"
    return sum(1 for _ in output.rglob("*.html")) if output.exists() else 0


def _compile_phase() -> str:
    """Which part of `vite build` is running, from what SvelteKit has written so far (`evidence build` empties
    the template's output before vite starts): the server bundle, then the browser bundle, then the prerender."""
    output = TEMPLATE_DIR / ".svelte-kit" / "output"
    if (output / "client" / ".vite" / "manifest.json").is_file():
        return "prerendering the pages"
    if (output / "server" / "manifest-full.js").is_file():
        return "compiling the browser bundle (vite, 2 of 2)"
    return "compiling the server bundle (vite, 1 of 2)"


def _progress(name: str, log_path: Path) -> str:
    if name in ("build", "prerender"):
        pages = _prerendered_pages()
        if pages:
            return f"{pages} pages prerendered"
        return _compile_phase() if name == "build" else "loading the compiled app"
    return _last_log_line(log_path)


def _wait_with_heartbeat(proc: subprocess.Popen, name: str, log_path: Path, started: float, timeout: float) -> int:
    """Wait for the step, printing a progress line every HEARTBEAT_S (elapsed time and the step's latest output),
    so a long build is visibly alive. Raises subprocess.TimeoutExpired at the timeout."""
    deadline = started + timeout
    while True:
        try:
            return proc.wait(timeout=max(0.0, min(HEARTBEAT_S, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                raise
            print(f"[report] {name}: {time.monotonic() - started:.0f}s, {_progress(name, log_path)}", flush=True)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def _tail(log_path: Path, lines: int = 40) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return f"--- last {min(lines, len(text))} lines of {log_path} ---\n" + "\n".join(text[-lines:])


def _swap_in(new_dir: Path, site_dir: Path) -> None:
    """Replace `site_dir` with `new_dir`: rename the old one away, rename the new one in, delete the old."""
    old = site_dir.with_name(f".{site_dir.name}.old-{os.getpid()}")
    if site_dir.exists():
        os.replace(site_dir, old)
    try:
        os.replace(new_dir, site_dir)
    except BaseException:
        if old.exists() and not site_dir.exists():
            os.replace(old, site_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def build_report(published_warehouse: Path | None = None, site_dir: Path | None = None, timeout_s: int = 900,
                 full: bool = False) -> Path:
    """Export the feed, run `npm run sources` and then `npm run build` (or, when the compiled app can be reused and
    `full` is false, `reports/rerender.mjs`) in `reports/` under one hard deadline, and swap the built site into
    `site_dir`. On failure or timeout raise `ReportBuildError`; the previous site stays."""
    published_warehouse = Path(published_warehouse or paths.published_warehouse())
    site_dir = Path(site_dir or paths.published_report()).resolve()
    deadline = time.monotonic() + timeout_s
    if not (REPORTS_PROJECT / "node_modules" / "@evidence-dev" / "evidence").exists():
        raise ReportBuildError(
            f"Evidence is not installed in {REPORTS_PROJECT}/node_modules; run `make setup` "
            "(cd reports && ../.venv/bin/npm install --no-audit --no-fund)"
        )
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    feed_path = site_dir.parent / "feed" / "opsready.duckdb"
    log_path = site_dir.parent / "report-build.log"

    # One build at a time per checkout: reports/.evidence and reports/build are shared.
    with open(REPORTS_PROJECT / "node_modules" / ".opsready-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = time.monotonic()
        export_feed(published_warehouse, feed_path)
        print(f"[report] feed exported to {feed_path} in {time.monotonic() - started:.1f}s", flush=True)
        log_path.write_text(f"opsready report build from {published_warehouse}\n", encoding="utf-8")
        env = _tool_env(feed_path)
        npm = shutil.which("npm", path=env["PATH"])
        if npm is None:
            raise ReportBuildError(f"npm not found on PATH (expected beside {sys.executable})")
        shutil.rmtree(REPORTS_PROJECT / "build", ignore_errors=True)
        _run_step("sources", [npm, "run", "sources"], env, log_path, deadline)
        key = app_key(env)
        built = _prerender_only(npm, env, log_path, deadline) if not full and _compiled_app_matches(key) else None
        if built is None:
            APP_KEY_FILE.unlink(missing_ok=True)
            _run_step("build", [npm, "run", "build"], env, log_path, deadline)
            APP_KEY_FILE.write_text(key)
            built = REPORTS_PROJECT / "build"
        if not (built / "index.html").exists():
            raise ReportBuildError(f"build finished but {built}/index.html is missing\n" + _tail(log_path))
        new_dir = site_dir.with_name(f".{site_dir.name}.new-{os.getpid()}")
        shutil.rmtree(new_dir, ignore_errors=True)
        shutil.move(built, new_dir)  # the next build empties `built` first: no need to copy the site again
        compressed = precompress(new_dir)
        print(f"[report] {compressed} files precompressed (gzip)", flush=True)
        _swap_in(new_dir, site_dir)
    print(f"[report] site published to {site_dir} ({time.monotonic() - started:.1f}s in all)", flush=True)
    return site_dir


def precompress(site_dir: Path) -> int:
    """Write a gzip copy (`name.gz`) beside every text file of the site the browser loads, as static hosts'
    `gzip_static` expects and `serve` uses: the JavaScript bundle is ~8 MB raw and ~3 MB gzipped. Returns the
    number of files compressed."""
    count = 0
    for path in Path(site_dir).rglob("*"):
        if path.suffix in PRECOMPRESSED_SUFFIXES and path.is_file() and path.stat().st_size >= 1024:
            with open(path, "rb") as raw, gzip.GzipFile(path.with_name(path.name + ".gz"), "wb", 6, mtime=0) as gz:
                shutil.copyfileobj(raw, gz)
            count += 1
    return count


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site, sending a file's precompressed `.gz` copy to a browser that accepts gzip."""

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        gz = path.with_name(path.name + ".gz")
        if "gzip" not in self.headers.get("Accept-Encoding", "") or not path.is_file() or not gz.is_file():
            return super().send_head()
        if path.name == "index.html" and not self.path.split("?", 1)[0].endswith("/"):
            return super().send_head()  # the stdlib redirects /dir to /dir/
        body = open(gz, "rb")
        self.send_response(http.HTTPStatus.OK)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(os.fstat(body.fileno()).st_size))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return body

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if os.environ.get("OPSREADY_SERVE_LOG"):
            super().log_message(format, *args)


def make_server(site_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A static file server for the built site (port 0 picks a free port; see `server.server_address`)."""
    site_dir = Path(site_dir)
    if not (site_dir / "index.html").exists():
        raise FileNotFoundError(f"no built report at {site_dir}; run `opsready report` first")
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    return http.server.ThreadingHTTPServer((host, port), handler)


def serve(site_dir: Path | None = None, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the built report until interrupted (`opsready report --serve`)."""
    server = make_server(Path(site_dir or paths.published_report()), host, port)
    print(f"[report] serving {site_dir or paths.published_report()} at http://{host}:{server.server_address[1]}/",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
