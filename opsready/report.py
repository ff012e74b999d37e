"""The readiness report: export the published warehouse's marts to a feed file, build the Evidence site
offline under a hard timeout, and swap the new site in atomically.

Public interface (the Dagster asset and `opsready report [--serve]` call these):

- `export_feed(published_warehouse, feed_path)` -> the feed DuckDB file (storage v1.0.0, what Evidence's Node
  DuckDB can read), holding every `marts` table, SPEC §6 marts conformed to their minimum columns (created empty
  when missing), and `audit` summaries (quarantine counts, load counts, readiness history) when present.
- `build_report(published_warehouse=None, site_dir=None, timeout_s=900)` -> the published site folder.
- `serve(site_dir, host="127.0.0.1", port=8000)` -> serves the site until interrupted.
"""

from __future__ import annotations

import fcntl
import functools
import http.server
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from opsready import paths

#: Where the Evidence project lives.
REPORTS_PROJECT = paths.project_root() / "reports"
#: Name of the Evidence data source (folder under `reports/sources/`, and the env var's middle part).
SOURCE_NAME = "opsready"

#: SPEC §6 marts with the columns the pages rely on, and the type used when a column (or the mart) is missing.
#: `pilot_purgatory` is not in SPEC §6; the columns below are what the portfolio page shows.
MART_COLUMNS: dict[str, dict[str, str]] = {
    "fct_oee_daily": {
        "company": "VARCHAR", "plant_id": "VARCHAR", "work_center_id": "VARCHAR", "day": "DATE",
        "pbt_s": "DOUBLE", "apt_s": "DOUBLE", "adot_s": "DOUBLE", "produced_qty": "DOUBLE", "good_qty": "DOUBLE",
        "availability": "DOUBLE", "effectiveness": "DOUBLE", "quality_rate": "DOUBLE", "oee": "DOUBLE",
    },
    "plant_mdq": {
        "company": "VARCHAR", "plant_id": "VARCHAR", "as_of": "DATE", "completeness": "DOUBLE",
        "validity": "DOUBLE", "uniqueness": "DOUBLE", "consistency": "DOUBLE", "timeliness": "DOUBLE",
        "mdq_score": "DOUBLE",
    },
    "pilot_to_scale": {
        "grain": "VARCHAR", "grain_value": "VARCHAR", "company": "VARCHAR", "pilots_started": "BIGINT",
        "pilots_concluded": "BIGINT", "pilots_scaled": "BIGINT", "pilots_stalled": "BIGINT",
        "pilot_to_scale_rate": "DOUBLE", "tier": "VARCHAR",
    },
    "benefit_realisation": {
        "company": "VARCHAR", "plant_id": "VARCHAR", "initiative_id": "VARCHAR", "wave": "INTEGER",
        "planned_annual_benefit": "DOUBLE", "annualised_benefit": "DOUBLE", "realisation": "DOUBLE",
        "spend": "DOUBLE", "measured_months": "INTEGER",
    },
    "initiative_hygiene": {
        "company": "VARCHAR", "initiative_id": "VARCHAR", "wishlist": "BOOLEAN",
        "change_under_budgeted": "BOOLEAN", "no_sunset": "BOOLEAN", "wave_skipped": "BOOLEAN", "big_bang": "BOOLEAN",
    },
    "plant_readiness": {
        "company": "VARCHAR", "plant_id": "VARCHAR", "as_of": "DATE", "current_wave": "INTEGER",
        "next_wave": "INTEGER", "ready": "BOOLEAN",
    },
    "readiness_criteria": {
        "company": "VARCHAR", "plant_id": "VARCHAR", "as_of": "DATE", "gate": "VARCHAR", "criterion": "VARCHAR",
        "value": "DOUBLE", "threshold": "DOUBLE", "passed": "BOOLEAN",
    },
    "pilot_purgatory": {
        "company": "VARCHAR", "plant_id": "VARCHAR", "pilot_id": "VARCHAR", "initiative_id": "VARCHAR",
        "initiative_name": "VARCHAR", "technology": "VARCHAR", "wave": "INTEGER", "started_on": "DATE",
        "planned_end_on": "DATE", "days_overdue": "INTEGER",
    },
}

#: Column types Evidence's DuckDB connector handles poorly, cast on export.
_CASTS = {"HUGEINT": "BIGINT", "UHUGEINT": "BIGINT", "UBIGINT": "BIGINT"}


class ReportBuildError(RuntimeError):
    """The Evidence build failed or timed out; the last published site is untouched."""


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


def export_feed(published_warehouse: Path, feed_path: Path) -> Path:
    """Copy the report's inputs from the published warehouse (opened read-only) into a new DuckDB file that
    Evidence can read, written under a temporary name and renamed into place. Returns `feed_path`."""
    published_warehouse = Path(published_warehouse)
    feed_path = Path(feed_path)
    if not published_warehouse.exists():
        raise FileNotFoundError(f"published warehouse not found: {published_warehouse}")
    feed_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = feed_path.with_name(f".{feed_path.name}.{os.getpid()}.tmp")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp), config={"storage_compatibility_version": "v1.0.0"})
    try:
        con.execute(f"ATTACH '{published_warehouse.as_posix()}' AS wh (READ_ONLY)")
        columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for schema, table, column, data_type in con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = 'wh' and table_schema in ('marts', 'audit') order by table_schema, table_name, ordinal_position"
        ).fetchall():
            columns.setdefault((schema, table), []).append((column, data_type))
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE SCHEMA audit")

        marts = sorted({table for schema, table in columns if schema == "marts"} | set(MART_COLUMNS))
        for table in marts:
            present = columns.get(("marts", table), [])
            names = {c for c, _ in present}
            select = []
            for column, data_type in present:
                cast = _export_type(data_type)
                select.append(f"CAST({_q(column)} AS {cast}) AS {_q(column)}" if cast else _q(column))
            for column, data_type in MART_COLUMNS.get(table, {}).items():
                if column not in names:
                    select.append(f"CAST(NULL AS {data_type}) AS {_q(column)}")
            source = f"wh.marts.{_q(table)}" if present else "(SELECT 1) AS _none WHERE false"
            con.execute(f"CREATE TABLE marts.{_q(table)} AS SELECT {', '.join(select)} FROM {source}")

        audit = {table for schema, table in columns if schema == "audit"}
        if "readiness_history" in audit:
            con.execute("CREATE TABLE audit.readiness_history AS SELECT * FROM wh.audit.readiness_history")
        if "quarantine" in audit:
            con.execute(
                "CREATE TABLE audit.quarantine_summary AS SELECT source, entity, reason, count(*)::BIGINT AS rows "
                "FROM wh.audit.quarantine GROUP BY ALL"
            )
        else:
            con.execute(
                "CREATE TABLE audit.quarantine_summary (source VARCHAR, entity VARCHAR, reason VARCHAR, rows BIGINT)"
            )
        if "load_log" in audit:
            con.execute(
                "CREATE TABLE audit.load_summary AS SELECT source, entity, count(*)::BIGINT AS files, "
                "sum(rows_read)::BIGINT AS rows_read, sum(rows_loaded)::BIGINT AS rows_loaded, "
                "sum(rows_quarantined)::BIGINT AS rows_quarantined "
                "FROM wh.audit.load_log WHERE status <> 'skipped' GROUP BY ALL"
            )
        else:
            con.execute(
                "CREATE TABLE audit.load_summary (source VARCHAR, entity VARCHAR, files BIGINT, rows_read BIGINT, "
                "rows_loaded BIGINT, rows_quarantined BIGINT)"
            )
        con.execute("DETACH wh")
        con.execute("CHECKPOINT")
    finally:
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


def _run_step(name: str, args: list[str], env: dict[str, str], log_path: Path, deadline: float) -> float:
    """Run one npm step in its own process group, teeing output to the log; kill the group at the deadline."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ReportBuildError(f"report build timed out before `{name}` started")
    started = time.monotonic()
    print(f"[report] {name}: {' '.join(args)} (timeout {remaining:.0f}s)", flush=True)
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"\n===== {name}: {' '.join(args)}\n")
        log.flush()
        proc = subprocess.Popen(
            args, cwd=REPORTS_PROJECT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            rc = proc.wait(timeout=remaining)
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
    print(f"[report] {name}: done in {elapsed:.1f}s", flush=True)
    return elapsed


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


def build_report(published_warehouse: Path | None = None, site_dir: Path | None = None, timeout_s: int = 900) -> Path:
    """Export the feed, run `npm run sources` and `npm run build` in `reports/` under one hard deadline, and swap
    the built site into `site_dir`. On failure or timeout raise `ReportBuildError`; the previous site stays."""
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
        _run_step("build", [npm, "run", "build"], env, log_path, deadline)
        built = REPORTS_PROJECT / "build"
        if not (built / "index.html").exists():
            raise ReportBuildError(f"build finished but {built}/index.html is missing\n" + _tail(log_path))
        new_dir = site_dir.with_name(f".{site_dir.name}.new-{os.getpid()}")
        shutil.rmtree(new_dir, ignore_errors=True)
        shutil.copytree(built, new_dir)
        _swap_in(new_dir, site_dir)
    print(f"[report] site published to {site_dir} ({time.monotonic() - started:.1f}s in all)", flush=True)
    return site_dir


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
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
