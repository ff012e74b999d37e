"""Great Expectations in batches: stacking files gives each file exactly the outcomes it gets on its own."""

from datetime import datetime

import polars as pl

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
