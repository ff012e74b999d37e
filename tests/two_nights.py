"""The two-night estate shared by the nightly-changes tests (dbt level and in the report): two real nightlies
(Dagster, dbt, DuckDB) on a small generated estate, the second after one plant's master data was repaired.

Night 1: a copy of the session's small estate (conftest `small_nightly`, after its first night) with MS04's latest
material master (erp-midstate, extract 2025-12-31, MARC.csv) delivered again with description, standard cost and lead
time blank on every MS04 row: completeness falls and MS04 fails gate 1->2 on master data. Night 2: the original file
is dropped back into the same landing folder (same extract date) and the nightly runs again. The session fixture
`two_nights` (registered in conftest.py) runs both once per session (for every pytest-xdist worker: conftest
`built_once`) and keeps each night's published warehouse.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from opsready.paths import Settings
from orchestration.runtime import run_job

AS_OF = date(2025, 12, 31)
PLANT = "MS04"
BLANKED = ("MAKTX", "STPRS", "PLIFZ")  # SAP MARC: description, standard cost, planned delivery time


@dataclass(frozen=True)
class TwoNights:
    root: Path
    broken: Path  # night 1's published warehouse (a copy)
    repaired: Path  # night 2's published warehouse (a copy)

    def __iter__(self):  # `broken, repaired = two_nights`
        return iter((self.broken, self.repaired))


def blank_master_data(path: Path, plant: str) -> int:
    """Blank BLANKED on every row of `plant` in a MARC extract (';'-separated, UTF-8 with BOM, CRLF kept)."""
    text = path.read_bytes().decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(";")
    out, blanked = [lines[0]], 0
    for line in lines[1:]:
        ending = line[len(line.rstrip("\r\n")):]
        cells = line.rstrip("\r\n").split(";")
        if cells[0] == plant:
            for column in BLANKED:
                cells[header.index(column)] = ""
            blanked += 1
        out.append(";".join(cells) + ending)
    path.write_bytes("\ufeff".join(["", "".join(out)]).encode())
    return blanked


def _night(root: Path, keep_as: str) -> Path:
    result = run_job(Settings.from_env(), "warehouse_only")
    failures = [f"{e.step_key}: {e.step_failure_data.error.message[:2000]}" for e in result.all_events
                if e.is_step_failure]
    assert result.success, "nightly failed:\n" + "\n".join(failures)
    kept = root / keep_as
    shutil.copy(root / "warehouse" / "opsready.duckdb", kept)
    return kept


@pytest.fixture(scope="session")
def two_nights(small_nightly, tmp_path_factory) -> TwoNights:
    from tests.conftest import built_once, pointed_at

    with built_once(tmp_path_factory, "two-nights") as (folder, record):
        root = folder / "root"
        if not record.exists():
            shutil.rmtree(root, ignore_errors=True)  # what a failed build left
            small_nightly.copy_to(root)
            with pointed_at(root):
                marc = root / "landing" / "erp-midstate" / AS_OF.isoformat() / "MARC.csv"
                clean = marc.read_bytes()  # loaded by the shared first night
                assert blank_master_data(marc, PLANT) > 0
                _night(root, "night1.duckdb")
                marc.write_bytes(clean)  # the same bytes again: they replace the blanked delivery
                _night(root, "night2.duckdb")
            record.write_text(json.dumps(dict(broken="night1.duckdb", repaired="night2.duckdb")))
        kept = json.loads(record.read_text())
    return TwoNights(root, root / kept["broken"], root / kept["repaired"])
