"""The contract on a file large enough for its fast paths (ingest/contract.py): columns of few distinct values
typed once per distinct value, a second timestamp format tried only on the cells the first left unparsed, and the
in-file duplicate check that counts before it compares. A 60,000-row GlobalTech machine-state extract with one
planted fault per class must give the quarantine worked out by hand, and exactly what the plain path gives."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from ingest import contract
from ingest.entities import ENTITIES
from ingest.profiles import load_profile

ROWS = 60_000
START = datetime(2024, 1, 1)


def extract() -> pl.DataFrame:
    """Twelve work centers, one-minute intervals in turn (every key distinct), five states; then the faults."""
    states = ["Run", "Setup", "Planned Down", "Breakdown", "Idle"]
    rows = {"site": [], "resource": [], "start_utc": [], "end_utc": [], "status": [], "reason_code": []}
    for i in range(ROWS):
        started = START + timedelta(minutes=i)
        rows["site"].append("GT01")
        rows["resource"].append(f"GT01-L{i % 12}")
        rows["start_utc"].append(started.strftime("%Y-%m-%dT%H:%M:%SZ"))
        rows["end_utc"].append((started + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        rows["status"].append(states[i % 5])
        rows["reason_code"].append(["OPR", "BRK-1", None, "MAT"][i % 4])  # null, as read_csv gives a blank
    planted = {  # data row (1-based) -> column -> value
        7: {"site": "  GT01 "},  # trimmed: loads
        100: {"resource": "GT01-L\x00X"},  # control_character
        2000: {"status": "Unknown"},  # out_of_domain
        3000: {"status": "   "},  # missing_required (blank)
        4000: {"reason_code": "brk-2"},  # upper-cased: loads as BRK-2
        5000: {"start_utc": "2024-13-01T25:00:00Z"},  # unparseable_date
        6000: {"end_utc": "2099-01-01T00:00:00Z"},  # implausible_date
        8000: {"start_utc": "2024-03-09"},  # the profile's date format: loads at midnight
    }
    for row, cells in planted.items():
        for column, value in cells.items():
            rows[column][row - 1] = value
    # row 7001 repeats row 7000's key (same site, resource and start): duplicate_key on the later one
    for column in ("site", "resource", "start_utc"):
        rows[column][7000] = rows[column][6999]
    return pl.DataFrame(rows)


EXPECTED_QUARANTINE = [
    (100, "work_center_id", "GT01-L\\x00X", "control_character"),
    (2000, "state", "Unknown", "out_of_domain"),
    (3000, "state", "   ", "missing_required"),
    (5000, "started_at", "2024-13-01T25:00:00Z", "unparseable_date"),
    (6000, "ended_at", "2099-01-01T00:00:00Z", "implausible_date"),
    # row 7000: work center 6999 % 12 = 3, started 6999 min = 4 d 20 h 39 min after 2024-01-01 00:00
    (7001, "plant_id+work_center_id+started_at", "GT01|GT01-L3|2024-01-05T20:39:00Z", "duplicate_key"),
]


@pytest.fixture(scope="module")
def checked():
    profile = load_profile("mes-globaltech")
    frame = extract()

    def run():
        return contract.apply_contract(frame, ENTITIES["machine_states"], profile.entities["machine_states"],
                                       profile.format, "mes-globaltech/2024-02-29/machine_states.csv",
                                       extract_date=date(2024, 2, 29))
    fast = run()
    original = contract.DISTINCT_SAMPLE
    contract.DISTINCT_SAMPLE = ROWS  # the plain path: every column typed cell by cell
    try:
        plain = run()
    finally:
        contract.DISTINCT_SAMPLE = original
    return fast, plain


def test_the_planted_faults_and_nothing_else_are_quarantined(checked):
    fast, _ = checked
    assert fast.quarantine.rows() == EXPECTED_QUARANTINE
    assert fast.rows_read == ROWS
    assert fast.typed.height == ROWS - len(EXPECTED_QUARANTINE)  # the sum rule, one fault per row


def test_values_are_trimmed_mapped_upper_cased_and_parsed(checked):
    typed = checked[0].typed.filter(pl.col("_row").is_in([1, 2, 3, 7, 4000, 8000])).sort("_row")
    assert typed["plant_id"].to_list() == ["GT01"] * 6
    # states cycle Run, Setup, Planned Down, Breakdown, Idle; reason codes OPR, BRK-1, (null), MAT
    assert typed["state"].to_list() == ["RUNNING", "SETUP", "PLANNED_STOP", "SETUP", "NO_ORDER", "NO_ORDER"]
    assert typed["reason_code"].to_list() == ["OPR", "BRK-1", None, None, "BRK-2", "MAT"]
    assert typed["started_at"].to_list()[-1] == datetime(2024, 3, 9)
    assert typed["started_at"].to_list()[:3] == [START, START + timedelta(minutes=1), START + timedelta(minutes=2)]


def test_the_fast_paths_give_exactly_what_the_plain_path_gives(checked):
    fast, plain = checked
    assert fast.typed.equals(plain.typed)
    assert fast.quarantine.equals(plain.quarantine)
    assert fast.warnings == plain.warnings
