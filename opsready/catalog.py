"""`opsready catalog`: the dbt docs site of the published warehouse (lineage, every model and column), offline.

`dbt docs generate` runs against a copy of the published warehouse (dbt-duckdb opens its database for writing; the
published file is only ever read), with the nightly's own vars, into `$OPSREADY_DATA/catalog/site`; the copy is
removed afterwards. The site is then served on 127.0.0.1 until interrupted (`--no-serve` only builds it).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from opsready import paths
from opsready.gates import dbt_vars

DBT_PROJECT_DIR = paths.project_root() / "dbt_project"
SITE_FILES = ("index.html", "manifest.json", "catalog.json")


class CatalogError(Exception):
    """The docs could not be built; the message says why."""


def catalog_dir() -> Path:
    return paths.data_root() / "catalog"


def build_catalog(published: Path | None = None, out: Path | None = None, timeout: int = 900) -> Path:
    """Build the dbt docs site for the published warehouse into `out` (default `$OPSREADY_DATA/catalog/site`).
    Returns the site folder."""
    published = Path(published or paths.published_warehouse())
    out = Path(out or catalog_dir() / "site")
    if not published.exists():
        raise CatalogError(f"no published warehouse at {published}; run `opsready run` first")
    work = out.parent / "work"
    shutil.rmtree(work, ignore_errors=True)
    copy = work / "warehouse" / published.name  # same file name: dbt names the database after it
    copy.parent.mkdir(parents=True)
    shutil.copyfile(published, copy)  # the published file is replaced whole, never written in place
    env = {**os.environ, "OPSREADY_WAREHOUSE": str(copy), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt) if dbt.exists() else "dbt", "docs", "generate", "--project-dir", str(DBT_PROJECT_DIR),
               "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(work / "target"),
               "--log-path", str(work / "logs"), "--vars", json.dumps(dbt_vars()), "--quiet"]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,
                              cwd=DBT_PROJECT_DIR)
    except subprocess.TimeoutExpired as exc:
        raise CatalogError(f"dbt docs generate took longer than {timeout} s") from exc
    finally:
        copy.unlink(missing_ok=True)
    if done.returncode != 0:
        detail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise CatalogError("dbt docs generate failed: " + " / ".join(detail) + f" (log: {work / 'logs' / 'dbt.log'})")
    staged = out.with_name(out.name + ".new")
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    for name in SITE_FILES:
        shutil.copy2(work / "target" / name, staged / name)
    shutil.rmtree(out, ignore_errors=True)
    staged.rename(out)
    shutil.rmtree(work, ignore_errors=True)
    return out


def make_server(site: Path, port: int, host: str = "127.0.0.1") -> http.server.ThreadingHTTPServer:
    """A static file server for the docs site (port 0: a free port, see `server.server_address`)."""
    return http.server.ThreadingHTTPServer((host, port), functools.partial(QuietHandler, directory=str(site)))


def serve(site: Path, port: int, host: str = "127.0.0.1") -> None:
    """Serve the docs site until interrupted."""
    with make_server(site, port, host) as server:
        print(f"catalog: serving {site} at http://{host}:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # one line per request would drown the URL line


def cmd_catalog(args) -> int:
    try:
        site = build_catalog()
    except CatalogError as exc:
        print(f"opsready catalog: {exc}", file=sys.stderr)
        return 1
    nodes = json.loads((site / "catalog.json").read_text())["nodes"]
    print(f"catalog: {len(nodes)} tables and views documented in {site / 'index.html'}")
    if not args.no_serve:
        try:
            serve(site, args.port)
        except OSError as exc:
            print(f"opsready catalog: cannot serve on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
            return 1
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("catalog", help="build the dbt docs site of the published warehouse and serve it",
                       description="Build the dbt docs (lineage, every model and column with its description) for "
                                   "the published warehouse, offline, and serve them on 127.0.0.1.")
    p.add_argument("--no-serve", action="store_true", help="only build the site")
    p.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (default 8080)")
    p.set_defaults(func=cmd_catalog)
