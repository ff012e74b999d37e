"""`make bench`'s floor reads every CSV and Parquet landing row once, and its table says what each row is."""

from __future__ import annotations

import json

from opsready.bench import markdown, time_floor


def test_the_floor_reads_every_csv_and_parquet_row_of_the_estate(nightly):
    # the generator's manifest counts each file's data rows as it wrote them (defect rows included); the floor leaves
    # out the pilot register workbooks
    manifest = json.loads((nightly.root / "manifest.json").read_text())  # on disk: a test may have added a day
    expected = sum(f["rows"] for f in manifest["files"] if not f["path"].endswith(".xlsx"))
    seconds, rows = time_floor(nightly.landing)
    assert rows == expected
    assert seconds > 0


def test_the_table_shows_ratios_shares_and_the_fixed_cost_row():
    rows = [
        dict(scale=10, step="floor", seconds=4.0, ratio_to_floor=1.0, exit_code=0, peak_rss_mib=None),
        dict(scale=10, step="full", seconds=120.0, ratio_to_floor=30.0, exit_code=0, peak_rss_mib=3000.4),
        dict(scale=10, step="nothing new (a night's fixed cost)", seconds=18.0, ratio_to_floor=4.5,
             share_of_full=0.15, exit_code=0, peak_rss_mib=1500.0),
    ]
    assert markdown(rows).splitlines() == [
        "| scale | step | seconds | × floor | % of full | peak RSS MiB | exit |",
        "|---|---|---|---|---|---|---|",
        "| 10 | floor | 4.0 | 1.0 |  |  | 0 |",
        "| 10 | full | 120.0 | 30.0 |  | 3000 | 0 |",
        "| 10 | nothing new (a night's fixed cost) | 18.0 | 4.5 | 15.0 % | 1500 | 0 |",
    ]
