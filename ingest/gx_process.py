"""Great Expectations in a process of its own, started before the landing step needs it.

Importing Great Expectations costs about 4 s of one core (it brings scipy, SQLAlchemy's dialects and altair). In the
landing step that import sat on the critical path of every night with a new file. A run now starts this process
when its resources start (orchestration/resources.py; `opsready run` even before it loads Dagster): the child imports
GX on the second core while the run is created and its first steps run on the first, and the landing step then
sends each small batch of frames to it (`validate_frames`, the same function as in process: ingest/gx.py). Big
batches, as in a first load, are validated in process: sending them would cost more than the import. Once GX is
imported here, every later batch is validated here too and the child is stopped (its ~300 MB are given back).

One child serves every run of the Python process that started it (the CLI runs one; a test session many) and ends
when that process ends (its socket closes). If the child dies, the batch it was validating fails (each file's
load-log row names the child's pid and exit code), and the next batch starts a new child.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection

import polars as pl

from ingest import gx

# Sending a frame to the child costs about 0.7 s per million rows (pickled, sent, unpickled), the import 4 s once:
# batches up to this size go to the child, bigger ones (a first load of years of MES facts) run here, importing GX once.
CHILD_MAX_ROWS = 250_000

_lock = threading.Lock()  # one batch at a time, and one child
_child: tuple[subprocess.Popen, Connection] | None = None
_imported_here = False  # a big batch made this process import GX: the child has no use left


def _serve(conn: Connection) -> None:
    """The child: import GX, then validate each (entity, frames) it receives until its parent hangs up."""
    gx._context()
    while True:
        try:
            entity, frames = conn.recv()
        except EOFError:  # the parent ended
            return
        try:
            conn.send(("ok", gx.validate_frames(entity, frames)))
        except Exception as exc:  # noqa: BLE001 - sent back and raised in the parent with its type and message
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


def _started() -> tuple[subprocess.Popen, Connection]:
    """The running child, started if there is none (call with _lock held)."""
    global _child
    if _child is None or _child[0].poll() is not None:
        # a new interpreter on one end of a socket pair (not multiprocessing: it would re-run the parent's main module)
        ours, theirs = socket.socketpair()
        with theirs:
            process = subprocess.Popen([sys.executable, "-m", "ingest.gx_process", str(theirs.fileno())],
                                       pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        _child = (process, Connection(ours.detach()))
    return _child


def start() -> None:
    """Start the validation process (if it is not running and GX is not imported here) and its GX import; returns
    at once."""
    with _lock:
        if not _imported_here:
            _started()


def _stop_child() -> None:
    """End the child (call with _lock held): its parent hangs up, the child returns (killed if it has not in 5 s)."""
    global _child
    if _child is not None:
        process, conn = _child
        _child = None
        conn.close()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def validate_frames(entity: str, frames: list[pl.DataFrame]) -> list[list[gx.ExpectationOutcome]]:
    """`ingest.gx.validate_frames`, run in the validation process (started here if it is not running), or here for
    a batch of more than CHILD_MAX_ROWS rows, and for every batch after one (GX is imported here then; the child is
    stopped, which gives its memory back for the rest of a first load)."""
    global _child, _imported_here
    with _lock:
        if _imported_here or sum(frame.height for frame in frames) > CHILD_MAX_ROWS:
            _imported_here = True
            _stop_child()
    if _imported_here:
        return gx.validate_frames(entity, frames)
    with _lock:
        process, conn = _started()
        try:
            conn.send((entity, frames))
            status, value = conn.recv()
        except (EOFError, OSError) as exc:
            _child = None
            conn.close()
            raise RuntimeError(f"the Great Expectations process (pid {process.pid}) ended while validating "
                               f"{entity}: exit code {process.wait(5)}") from exc
    if status == "error":
        raise RuntimeError(f"in the Great Expectations process: {value}")
    return value


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
