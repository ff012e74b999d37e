"""The end of `opsready run`: every file the run quarantined whole, named on stderr, and the exit status that tells a
scheduler "published, but look" (3) apart from success (0) and a failed run (1)."""

from __future__ import annotations

import sys
from pathlib import Path

from opsready import connect

from ingest.load import quarantined_files

QUARANTINED_EXIT = 3  # README.md: exit status of `opsready run`


def quarantine_summary(published_warehouse: Path, run_id: str) -> int:
    """Name every file the published run quarantined whole (on stderr, last); 0, or QUARANTINED_EXIT if any."""
    with connect.published(published_warehouse) as con:
        files = quarantined_files(con, run_id)
    if not files:
        return 0
    print(f"{len(files)} file(s) quarantined whole, nothing of them loaded (audit.load_log, status 'quarantined'); "
          "everything else is published:", file=sys.stderr)
    for _, message in files:
        print(f"- {message}", file=sys.stderr)
    return QUARANTINED_EXIT
