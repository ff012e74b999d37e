"""The one way anything outside a run opens the published warehouse: read-only and locked down.

`opsready sql`, the gate command, the readiness checks and the report's export all connect through `published()`.
After opening the file read-only it turns off DuckDB's file system access (`enable_external_access=false`: no
`COPY … TO`, no `ATTACH` of another file, no `read_csv('/etc/…')`), extension installs and loads
(`autoinstall_known_extensions`, `autoload_known_extensions`) and then locks the configuration, so a statement cannot
turn any of it back on. Only the published warehouse can be read; nothing can be written or downloaded.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

LOCKDOWN = (
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET lock_configuration = true",  # last: after it no SET can undo the ones before
)


LOCKED_DOWN = {"enable_external_access": "false", "autoinstall_known_extensions": "false",
               "autoload_known_extensions": "false", "lock_configuration": "true"}


def _locked_down(con: duckdb.DuckDBPyConnection) -> bool:
    """True when every LOCKDOWN setting already holds on this connection's database."""
    names = ", ".join(f"'{name}'" for name in LOCKED_DOWN)
    settings = dict(con.execute(f"select name, lower(value) from duckdb_settings() where name in ({names})").fetchall())
    return settings == LOCKED_DOWN


def published(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only, locked-down connection to the DuckDB file at `path` (the published warehouse)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        # Connections to one file in one process share its database and settings: another open connection may have
        # locked this one down already (then SET is refused, and nothing needs setting).
        if not _locked_down(con):
            for statement in LOCKDOWN:
                con.execute(statement)
    except duckdb.Error:
        con.close()
        raise
    return con


REFUSED_HINTS = {
    "file system operations are disabled": "the published warehouse is read-only and cannot reach other files; "
                                           "export a result with --output FILE",
    "Loading external extensions is disabled": "extensions cannot be installed or loaded here",
    "the configuration has been locked": "settings are locked in a read-only session",
    "attached in read-only mode": "the published warehouse is read-only",
}


def explain(error: duckdb.Error) -> str:
    """DuckDB's message for a refused statement, with the reason it is refused here."""
    message = str(error).strip()
    for needle, hint in REFUSED_HINTS.items():
        if needle in message:
            return f"{message} ({hint})"
    return message
