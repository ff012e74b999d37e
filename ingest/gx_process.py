"""Great Expectations in a process of its own, started before the landing step needs it.

Importing Great Expectations costs about 4 s of one core (it brings scipy, SQLAlchemy's dialects and altair), and
validating a batch holds this process's interpreter lock. A run starts this process when its resources start
(orchestration/resources.py; `opsready run` even before it loads Dagster): the child imports GX on the second core
while the run is created and its first steps run. The landing step then sends it every batch of frames
(`validate_frames`, the same function as in process: ingest/gx.py) from a worker thread, and writes the previous
batch meanwhile (ingest/load.py). Frames travel as Arrow IPC bytes over a socket pair (about 0.15 s per million
rows, written and read; pickling them cost 0.7 s).

One child serves every run of the Python process that started it (the CLI runs one; a test session many) and ends
when that process ends (its socket closes). If the child dies, the batch it was validating fails (each file's
load-log row names the child's pid and exit code), and the next batch starts a new child.
"""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection

import polars as pl

from ingest import gx

_lock = threading.Lock()  # one batch at a time, and one child
_child: tuple[subprocess.Popen, Connection] | None = None


def _serve(conn: Connection) -> None:
    """The child: import GX, then validate each (entity, frames) it receives until its parent hangs up."""
    gx._context()
    while True:
        try:
            entity, count = conn.recv()
            frames = [pl.read_ipc(io.BytesIO(conn.recv_bytes())) for _ in range(count)]
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
    """Start the validation process (if it is not running) and its GX import; returns at once."""
    with _lock:
        _started()


def _ipc_bytes(frame: pl.DataFrame) -> memoryview:
    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="uncompressed")
    return buffer.getbuffer()


def _send(conn: Connection, entity: str, frames: list[pl.DataFrame]) -> None:
    """The entity and the number of frames, then each frame's bytes (all encoded first: a frame that cannot be
    encoded raises before anything is sent, so the child never waits for the rest of a batch)."""
    payloads = [_ipc_bytes(frame) for frame in frames]
    conn.send((entity, len(payloads)))
    for payload in payloads:
        conn.send_bytes(payload)


def validate_frames(entity: str, frames: list[pl.DataFrame]) -> list[list[gx.ExpectationOutcome]]:
    """`ingest.gx.validate_frames`, run in the validation process (started here if it is not running)."""
    global _child
    with _lock:
        process, conn = _started()
        try:
            _send(conn, entity, frames)
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
