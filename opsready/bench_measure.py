"""How the bench times a step: wall seconds, exit code and the peak RSS of the process tree (`make bench`)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path


def _tree_rss_bytes(root_pid: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
            fields = stat[stat.rindex(")") + 2:].split()
            pid, ppid, pages = int(entry), int(fields[1]), int(fields[21])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(pid)
        rss[pid] = pages * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_measured(cmd: list[str], env: dict, log_path: Path, timeout_s: float) -> dict:
    """Run cmd, return wall seconds, exit code and the peak RSS of its process tree."""
    peak = 0
    os.sync()  # the step before wrote gigabytes, and a night starts on a settled disk (opsready/bench.py)
    with open(log_path, "w") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        done = threading.Event()

        def poll():
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss_bytes(proc.pid))
                done.wait(0.2)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        done.set()
        poller.join()
        seconds = time.perf_counter() - started
    return dict(seconds=seconds, exit_code=code, peak_rss_mib=peak / 2**20)
