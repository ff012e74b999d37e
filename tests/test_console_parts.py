"""The run console's parts without a run: dbt's result lines counted, the live status line on a terminal cleared
before a log line, lines clipped to the console width, a warning from any logger collected."""

from __future__ import annotations

import io
import logging
import re
import time

from opsready.console import CONSOLE_WIDTH, RunConsole, clip


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_dbt_lines_go_to_the_log_file_and_count_the_nodes(tmp_path):
    screen = io.StringIO()
    with RunConsole(stream=screen, log_path=tmp_path / "run.log") as console:
        print("Running with dbt=1.11.16")
        print("1 of 3 START sql table model marts.a ...... [RUN]")
        print("1 of 3 OK created sql table model marts.a ...... [OK in 0.40s]\n2 of 3 PASS not_null_a ... [PASS]")
        print("3 of 3 WARN 7 relationships_b ... [WARN 7]", end="")
        print()
        logging.getLogger("ingest.load").warning("pilots/x.xlsx: no data rows (header only)")
    assert (console.dbt_done, console.dbt_total) == (3, 3)
    assert console.dbt_status == {"OK": 1, "PASS": 1, "WARN": 1}
    assert console.warnings == ["ingest.load: pilots/x.xlsx: no data rows (header only)"]
    log = (tmp_path / "run.log").read_text()
    assert "opsready.dbt: 1 of 3 START sql table model marts.a" in log and "Running with dbt" in log
    assert "Running with dbt" not in screen.getvalue() and "no data rows" in screen.getvalue()


def test_a_terminal_gets_a_live_status_line_cleared_before_each_log_line(tmp_path):
    screen = Terminal()
    with RunConsole(stream=screen, log_path=tmp_path / "run.log") as console:
        console.console_handler.status("[  5.0s] dbt build: running (3 s, 10/257 dbt nodes) [#....]")
        console.say("publish: at /x")
    text = screen.getvalue()
    assert "\r\033[K[  5.0s] dbt build: running (3 s, 10/257 dbt nodes)" in text
    assert "\r\033[K[" in text.split("dbt nodes) [#....]", 1)[1]  # the status line cleared before the next line
    assert console.live


def test_lines_are_clipped_to_the_console_width():
    assert clip("x" * 500) == "x" * (CONSOLE_WIDTH - 1) + "…"
    assert clip("first line\nsecond") == "first line"


def test_the_ingest_line_of_a_large_night_is_not_clipped(tmp_path):
    """The landing step's line with ten times the counts of the bench's scale-10 first night (each a digit longer)
    ends in its time, which make bench reads."""
    screen = io.StringIO()
    with RunConsole(stream=screen, log_path=tmp_path / "run.log") as console:
        console.landing.update(files_loaded=7_400, files_replaced=7_400, files_skipped=74_000, files_quarantined=7_400,
                               rows_loaded=352_466_180, rows_quarantined=8_290_000, great_expectations_ms=142_000)
        console.step_started["landing"] = time.monotonic() - 302.0
        console._phase_line("landing", "STEP_SUCCESS")
    line = next(line for line in screen.getvalue().splitlines() if "ingest: " in line)
    assert len(line) < CONSOLE_WIDTH and "352,466,180 rows loaded" in line
    assert re.search(r"GX validating 142\.0 s \(302\.\d s\)$", line), line
