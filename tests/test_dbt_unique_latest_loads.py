"""The MES key-uniqueness tests check only the time window of the latest run's loads (see
macros/unique_combination_of_columns.sql): a duplicate that a new load brings is caught, nothing else is scanned."""

from __future__ import annotations

import re

import duckdb
import pytest

from ingest.warehouse import ensure_warehouse
from tests.dbt_runner import dbt_build

TEST = "unique_combination_of_columns_stg_mes__machine_states_plant_id__work_center_id__started_at__started_at"
OLD = [("P1", "WC1", "2024-01-10 06:00:00", "2024-01-10 07:00:00", "RUNNING", None),
       ("P1", "WC1", "2024-01-10 07:00:00", "2024-01-10 08:00:00", "RUNNING", None)]


def _warehouse(path, new_rows: list[tuple]) -> None:
    """Load `old` (run r1) and `new` (run r2, the latest) machine states with their load-log rows."""
    with duckdb.connect(str(path)) as con:
        ensure_warehouse(con)
        con.execute("insert into raw.plants values ('P1', 'Works', 'Co', 'DE', 'Europe/Berlin', "
                    "'erp-test', date '2024-01-31', 'f', 1, 'load-p')")
        for load, run, rows, at in (("load-old", "r1", OLD, "2024-02-01 03:00:00"),
                                    ("load-new", "r2", new_rows, "2024-02-02 03:00:00")):
            for i, row in enumerate(rows, start=1):
                con.execute("insert into raw.machine_states values (?, ?, ?, ?, ?, ?, 'mes-test', ?, 'f', ?, ?)",
                            [*row, at[:10], i, load])
            con.execute("insert into audit.load_log (load_id, run_id, entity, extract_date, rows_loaded, status, "
                        "loaded_at) values (?, ?, 'machine_states', ?, ?, 'loaded', ?)",
                        [load, run, at[:10], len(rows), at])


def _outcome(tmp_path, new_rows) -> str:
    warehouse = tmp_path / "wh.duckdb"
    _warehouse(warehouse, new_rows)
    result = dbt_build(warehouse, tmp_path, ["stg_mes__machine_states", "stg_erp__plants", "stg_erp__plants_history"])
    out = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    found = re.search(r" of \d+ (PASS|FAIL \d+) " + TEST + " ", out)
    assert found, out[-3000:]
    return found.group(1).split()[0]


@pytest.mark.parametrize("new_rows, expected", [
    # the latest load repeats a key of an earlier load: caught
    ([("P1", "WC1", "2024-01-10 07:00:00", "2024-01-10 09:00:00", "IDLE", None)], "FAIL"),
    # the latest load repeats one of its own keys: caught
    ([("P1", "WC1", "2024-01-11 06:00:00", "2024-01-11 07:00:00", "RUNNING", None),
      ("P1", "WC1", "2024-01-11 06:00:00", "2024-01-11 08:00:00", "IDLE", None)], "FAIL"),
    # new keys only: passes
    ([("P1", "WC1", "2024-01-10 08:00:00", "2024-01-10 09:00:00", "RUNNING", None)], "PASS"),
])
def test_duplicates_brought_by_the_latest_loads_are_caught(tmp_path, new_rows, expected):
    assert _outcome(tmp_path, new_rows) == expected
