"""The run's working copy of the warehouse and its atomic publication.

A run never writes to the published file. It starts from a copy of it (or from nothing), builds into the copy, and
only when the integrity checks pass, replaces the published file with the copy in one `os.replace`. Readers that
have the old file open keep reading it; new readers see the new one. A killed run leaves a stale working copy that
the next run overwrites.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from ingest.warehouse import ensure_warehouse


def reset_working_copy(published: Path, working: Path) -> Path:
    """Start a run: replace the working copy by a fresh copy of the published warehouse (or an empty one)."""
    working.parent.mkdir(parents=True, exist_ok=True)
    for stale in (working, working.with_name(working.name + ".wal")):
        stale.unlink(missing_ok=True)
    if published.exists():
        tmp = working.with_name(working.name + ".copying")
        shutil.copyfile(published, tmp)
        os.replace(tmp, working)
    with duckdb.connect(str(working)) as con:
        ensure_warehouse(con)
    return working


def publish_working_copy(published: Path, working: Path) -> Path:
    """Checkpoint the working copy and atomically make it the published warehouse."""
    if not working.exists():
        raise FileNotFoundError(f"no working copy at {working}: nothing to publish (run the nightly job first)")
    with duckdb.connect(str(working)) as con:
        con.execute("CHECKPOINT")
    if working.with_name(working.name + ".wal").exists():
        raise RuntimeError(f"{working} still has a write-ahead log after CHECKPOINT; refusing to publish")
    published.parent.mkdir(parents=True, exist_ok=True)
    os.replace(working, published)
    return published
