"""Great Expectations in its own process (ingest/gx_process.py): the same outcomes as in process, a clear error when
the child dies, a new child for the next batch, and a batch that cannot be sent leaves the child in step."""

import os
import signal
import threading
from datetime import datetime, timedelta

import polars as pl
import pytest

from ingest import gx_process
from ingest.gx import validate_frames as validate_here
from tests.test_gx_batch import _states  # a typed machine_states frame

T0 = datetime(2025, 1, 1, 6)


def _child_pid() -> int | None:
    child = gx_process._child
    return child[0].pid if child is not None and child[0].poll() is None else None


def test_the_child_reports_what_the_suite_finds_and_the_same_as_in_process():
    good = _states([("P1", "WC1", T0, T0 + timedelta(hours=1), "RUN", None)])
    # rows 2 and 3 end before they start (a warning), row 3 repeats row 2's key (critical)
    bad = _states([("P1", "WC2", T0, T0 + timedelta(hours=1), "RUN", None),
                   ("P1", "WC2", T0 + timedelta(hours=2), T0 + timedelta(hours=1), "RUN", None),
                   ("P1", "WC2", T0 + timedelta(hours=2), T0, "RUN", None)])
    gx_process.start()
    outcomes = gx_process.validate_frames("machine_states", [good, bad])
    assert _child_pid() not in (None, os.getpid())
    assert all(o.success for o in outcomes[0])
    failed = {o.expectation: (o.severity, o.observed) for o in outcomes[1] if not o.success}
    assert failed == {
        "expect_compound_columns_to_be_unique(plant_id+work_center_id+started_at)": ("error", "2 of 3 rows unexpected"),
        "expect_column_pair_values_a_to_be_greater_than_b(ended_at,started_at)": ("warning", "2 of 3 rows unexpected"),
    }
    assert outcomes == validate_here("machine_states", [good, bad])


def test_a_child_that_dies_mid_batch_fails_it_with_a_clear_error_and_the_next_batch_gets_a_new_one():
    frame = _states([("P1", "WC1", T0, T0 + timedelta(hours=1), "RUN", None)])
    gx_process.validate_frames("machine_states", [frame])
    first = _child_pid()
    # the child is stopped, so it cannot answer; killed once the batch is on its way, it dies mid-batch
    os.kill(first, signal.SIGSTOP)
    killer = threading.Timer(1.0, os.kill, (first, signal.SIGKILL))
    killer.start()
    try:
        with pytest.raises(RuntimeError, match=rf"Great Expectations process \(pid {first}\) ended while validating "
                                               rf"machine_states: exit code -{int(signal.SIGKILL)}"):
            gx_process.validate_frames("machine_states", [frame, frame])
    finally:
        killer.join()
    outcomes = gx_process.validate_frames("machine_states", [frame])
    assert _child_pid() not in (None, first)
    assert all(o.success for o in outcomes[0])


def test_an_error_in_the_child_is_raised_here_with_its_type_and_message():
    with pytest.raises(RuntimeError, match="in the Great Expectations process: FileNotFoundError: no Great "
                                           "Expectations suite for entity 'no_such_entity'"):
        gx_process.validate_frames("no_such_entity", [_states([("P1", "WC1", T0, T0, "RUN", None)])])
    assert _child_pid() is not None  # the child survives a failing batch


def test_a_batch_that_cannot_be_sent_raises_here_and_the_child_stays_in_step():
    good = _states([("P1", "WC1", T0, T0 + timedelta(hours=1), "RUN", None)])
    unsendable = good.with_columns(pl.Series("thing", [object()], dtype=pl.Object))  # Arrow has no such type
    gx_process.validate_frames("machine_states", [good])
    child = _child_pid()
    with pytest.raises(pl.exceptions.ComputeError, match="cannot write 'Object' datatype to ipc"):
        gx_process.validate_frames("machine_states", [good, unsendable])
    # nothing of that batch reached the child: the next batch is read as a batch, by the same child
    outcomes = gx_process.validate_frames("machine_states", [good])
    assert _child_pid() == child
    assert {o.expectation: o.observed for o in outcomes[0]}["expect_column_values_to_not_be_null(plant_id)"] \
        == "0 of 1 rows unexpected"
