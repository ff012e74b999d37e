"""Great Expectations in batches: stacking files gives each file exactly the outcomes it gets on its own."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import polars as pl
import pytest

from ingest.gx import validate_frame, validate_frames


def _states(rows: list[tuple]) -> pl.DataFrame:
    """A typed machine_states frame (the canonical columns plus `_row`)."""
    return pl.DataFrame(rows, schema={"plant_id": pl.String, "work_center_id": pl.String,
                                      "started_at": pl.Datetime("us"), "ended_at": pl.Datetime("us"),
                                      "state": pl.String, "reason_code": pl.String}, orient="row"
                        ).with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))


T0, T1, T2 = datetime(2025, 1, 1, 6), datetime(2025, 1, 1, 7), datetime(2025, 1, 1, 8)


def _summary(outcomes):
    return [(o.expectation, o.severity, o.success) for o in outcomes]


def test_same_key_in_two_files_passes_per_file_uniqueness():
    # The key (plant, work center, started_at) repeats across files but not within one: every file passes.
    a = _states([("P1", "WC1", T0, T1, "RUN", None), ("P1", "WC1", T1, T2, "RUN", None)])
    b = _states([("P1", "WC1", T0, T1, "RUN", None)])
    batched = validate_frames("machine_states", [a, b])
    assert [_summary(o) for o in batched] == [_summary(validate_frame("machine_states", a)),
                                              _summary(validate_frame("machine_states", b))]
    assert all(o.success for outcomes in batched for o in outcomes)
    assert "validated together with 1 other file" in batched[0][0].observed


def test_a_failing_file_is_reported_alone_with_its_own_counts():
    good = _states([("P1", "WC1", T0, T1, "RUN", None)])
    # Duplicate key within the file (critical) and one interval ending before it starts (warning).
    bad = _states([("P1", "WC2", T0, T1, "RUN", None), ("P1", "WC2", T0, T2, "RUN", None),
                   ("P1", "WC2", T2, T1, "RUN", None)])
    batched = validate_frames("machine_states", [good, bad])
    assert all(o.success for o in batched[0])
    failed = {o.expectation: o.observed for o in batched[1] if not o.success}
    assert set(failed) == {"expect_compound_columns_to_be_unique(plant_id+work_center_id+started_at)",
                           "expect_column_pair_values_a_to_be_greater_than_b(ended_at,started_at)"}
    assert failed["expect_column_pair_values_a_to_be_greater_than_b(ended_at,started_at)"] == "1 of 3 rows unexpected"
    assert [_summary(o) for o in batched] == [_summary(validate_frame("machine_states", good)),
                                              _summary(validate_frame("machine_states", bad))]


def _full(outcomes):
    return [(o.expectation, o.severity, o.success) + ((o.observed,) if not o.success else ()) for o in outcomes]


@pytest.fixture
def gx_runs(monkeypatch) -> list[bool]:
    """Real GX runs, each noted as it starts with whether it validates the stacked batch (True) or one file (False)."""
    from ingest import gx

    runs = []
    validate = gx._validate
    monkeypatch.setattr(gx, "_validate", lambda entity, frame, batch, *rest, **kw: runs.append(batch)
                        or validate(entity, frame, batch, *rest, **kw))
    return runs


def test_failures_in_several_files_get_their_own_counts_from_two_runs(gx_runs):
    from ingest import gx

    runs = gx_runs
    good = _states([("P1", "WC1", T0, T1, "RUN", None)])
    # one interval ending before it starts (warning) in each of two files; a duplicate key (critical) in the second
    backwards = _states([("P1", "WC2", T1, T0, "RUN", None), ("P1", "WC2", T0, T1, "RUN", None)])
    both = _states([("P1", "WC3", T2, T1, "RUN", None), ("P1", "WC3", T0, T1, "RUN", None),
                    ("P1", "WC3", T0, T2, "RUN", None), ("P1", "WC3", T1, T2, "RUN", None)])
    batched = gx.validate_frames("machine_states", [good, backwards, both])
    assert runs == [True, True]  # the batch, then the batch listing its failing rows: no run per file
    failed = [{o.expectation: o.observed for o in outcomes if not o.success} for outcomes in batched]
    pair = "expect_column_pair_values_a_to_be_greater_than_b(ended_at,started_at)"
    key = "expect_compound_columns_to_be_unique(plant_id+work_center_id+started_at)"
    assert failed == [{}, {pair: "1 of 2 rows unexpected"},
                      {pair: "1 of 4 rows unexpected", key: "2 of 4 rows unexpected"}]  # both rows of the key
    runs.clear()
    alone = [gx.validate_frame("machine_states", f) for f in (good, backwards, both)]
    assert [_full(o) for o in batched] == [_full(o) for o in alone]


def test_rows_without_a_key_send_each_file_to_its_own_run():
    # GX skips rows whose key columns are all null when it checks one file; the batch form cannot (its file column is
    # never null), so such failures are validated file by file and come out as GX says of each file alone.
    keyless = _states([(None, None, None, T1, "RUN", None), (None, None, None, T2, "RUN", None)])
    good = _states([("P1", "WC1", T0, T1, "RUN", None)])
    batched = validate_frames("machine_states", [good, keyless])
    alone = [validate_frame("machine_states", f) for f in (good, keyless)]
    assert [_full(o) for o in batched] == [_full(o) for o in alone]
    key = "expect_compound_columns_to_be_unique(plant_id+work_center_id+started_at)"
    assert next(o for o in batched[1] if o.expectation == key).success  # the two keyless rows are no duplicate


def test_past_the_listed_rows_limit_each_file_runs_on_its_own(gx_runs, monkeypatch):
    from ingest import gx

    runs = gx_runs
    monkeypatch.setattr(gx, "MAX_LISTED_ROWS", 0)  # one failing row is already too many to list
    good = _states([("P1", "WC1", T0, T1, "RUN", None)])
    backwards = _states([("P1", "WC2", T1, T0, "RUN", None)])
    batched = gx.validate_frames("machine_states", [good, backwards])
    assert runs == [True, False, False]  # the batch, then each file
    runs.clear()
    assert [_full(o) for o in batched] == [_full(gx.validate_frame("machine_states", f)) for f in (good, backwards)]


def test_two_threads_validating_at_once_each_get_their_own_frames_outcomes():
    """The landing step's two lanes validate side by side in one process (ingest.load_entities without the GX
    process): each thread must get the outcomes of its own frame, as when validated alone. GX's one context per
    process shares its batch between callers, so without ingest.gx's lock a thread got the other's frame."""
    good = _states([("P1", "WC1", T0, T1, "RUN", None), ("P1", "WC1", T1, T2, "RUN", None)])
    bad = _states([("P1", None, T0, T1, "RUN", None), ("P1", "WC2", T0, T1, "RUN", None),
                   ("P1", "WC2", T0, T2, "RUN", None)])
    alone = {"good": _full(validate_frame("machine_states", good)), "bad": _full(validate_frame("machine_states", bad))}
    # by hand: the good frame passes everything; the bad one fails its null work center and its repeated key
    assert all(o[2] for o in alone["good"])
    assert {o[0] for o in alone["bad"] if not o[2]} == {
        "expect_column_values_to_not_be_null(work_center_id)",
        "expect_compound_columns_to_be_unique(plant_id+work_center_id+started_at)"}
    start = threading.Barrier(2)

    def validate_often(frame: pl.DataFrame) -> list:
        start.wait()
        return [_full(validate_frame("machine_states", frame)) for _ in range(25)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = {name: pool.submit(validate_often, frame) for name, frame in (("good", good), ("bad", bad))}
        got = {name: run.result() for name, run in runs.items()}
    for name, outcomes in got.items():
        assert outcomes == [alone[name]] * 25, name
