"""Readiness history from day one, on the session nightly (the sample estate, scale 1, one run on an empty warehouse),
and `--history` on a copy of the session's small estate.

The first run on a warehouse evaluates the gates on every month end since the earliest extract as well as on its
readiness date, so "blocked since" and the wave timeline are real, and wave skipping (SPEC §4) is judged on the
verdict in force at each pilot's start. The expected values here come from the landing files (folder names, the
pilot register workbook) and plain arithmetic, with only the month-end verdicts read from the warehouse.
"""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date, timedelta

import polars as pl

AS_OF = date(2025, 12, 31)  # the latest extract of the sample estate


def _month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _month_ends(first: date, last: date) -> list[date]:
    out, d = [], _month_end(first)
    while d <= last:
        out.append(d)
        d = _month_end(d + timedelta(days=1))
    return out


def _earliest_extract(landing) -> date:
    return min(date.fromisoformat(folder.name) for source in landing.iterdir() for folder in source.iterdir())


def test_first_run_evaluates_every_month_end_since_the_earliest_extract(nightly, warehouse):
    expected = _month_ends(_earliest_extract(nightly.landing), AS_OF)
    assert len(expected) == 48 and expected[0] == date(2022, 1, 31)
    got = [r[0] for r in warehouse.execute("select distinct as_of from audit.readiness_history order by 1").fetchall()]
    assert got == expected
    per_date = set(warehouse.execute("select count(*) from audit.readiness_history group by as_of").fetchall())
    assert per_date == {(12 * 11,)}  # 12 plants × 11 criteria on every date


def test_blocked_since_is_real_not_the_first_night(warehouse):
    rows = dict(warehouse.execute(
        "select plant_id, blocked_since from marts.readiness_timeline where as_of = ? and blocked_since is not null",
        [AS_OF]).fetchall())
    # GlobalTech never passes gate 1->2 (SPEC §7): blocked since the first month end evaluated
    assert {p: d for p, d in rows.items() if p.startswith("GT")} == {f"GT0{i}": date(2022, 1, 31) for i in range(1, 9)}
    timeline = warehouse.execute(
        "select as_of, current_wave from marts.readiness_timeline where plant_id = 'MS01' order by as_of").fetchall()
    assert timeline[0][1] == 1 and timeline[-1][1] == 4
    assert len({wave for _, wave in timeline}) == 4  # the wave timeline shows MS01's whole path, 1 to 4


def _register(landing) -> tuple[pl.DataFrame, dict[str, tuple[str, int]]]:
    workbook = max((landing / "pilots").iterdir()) / "roadmap_register.xlsx"
    pilots = pl.read_excel(workbook, sheet_name="Pilots")
    initiatives = pl.read_excel(workbook, sheet_name="Initiatives")
    waves = {r["Initiative ID"]: (r["Company"], int(r["Wave"])) for r in initiatives.iter_rows(named=True)}
    return pilots, waves


def test_wave_skipping_equals_a_hand_count_from_the_register_and_the_month_end_verdicts(nightly, warehouse):
    """SPEC §4: a wave-N pilot started at a plant before that plant passed gate N-1 -> N, on the verdict in force at
    its start: the plant's wave on the latest month end on or before the start date."""
    pilots, waves = _register(nightly.landing)
    wave_on = {(p, d): w for p, d, w in warehouse.execute(
        "select distinct plant_id, as_of, current_wave from audit.readiness_history").fetchall()}
    skipping, not_evaluable, skipping_by_company = Counter(), Counter(), Counter()
    for pilot in pilots.iter_rows(named=True):
        company, wave = waves[pilot["Initiative ID"]]
        started = pilot["Started"]
        if wave < 2 or started > AS_OF:
            continue
        in_force = started if started == _month_end(started) else started.replace(day=1) - timedelta(days=1)
        if (pilot["Plant"], in_force) not in wave_on:
            not_evaluable[pilot["Initiative ID"]] += 1
        elif wave_on[(pilot["Plant"], in_force)] < wave:
            skipping[pilot["Initiative ID"]] += 1
            skipping_by_company[company] += 1
    mart = {i: (s, n, flag) for i, s, n, flag in warehouse.execute(
        "select initiative_id, wave_skipping_pilots, wave_skip_not_evaluable_pilots, wave_skipped "
        "from marts.initiative_hygiene").fetchall()}
    assert set(mart) == set(waves)
    for initiative in waves:
        assert mart[initiative] == (skipping[initiative], not_evaluable[initiative], skipping[initiative] > 0), initiative
    # the recount from the landing files: 20 GlobalTech pilots of 6 initiatives skip a wave; MidState none
    assert skipping_by_company == {"GlobalTech": 20}
    assert len([i for i in skipping if waves[i][0] == "GlobalTech"]) == 6
    assert sum(not_evaluable.values()) == 0  # every pilot of the sample starts after the first month end


def test_run_with_history_restores_every_month_end(small_nightly, tmp_path):
    """A warehouse whose readiness history holds only its latest night (as one built before history from day one):
    its history is not empty, so only `opsready run --history` (run_job with NightOptions(full_history=True)) brings
    back every month end since the earliest extract, through the normal publish path. On the session's small estate
    (the same extract dates as the sample at scale 1, a fraction of the rows to re-evaluate)."""
    import shutil

    import duckdb

    from opsready.paths import Settings
    from orchestration.resources import NightOptions
    from orchestration.runtime import run_job
    from tests.conftest import pointed_at

    (tmp_path / "landing").symlink_to(small_nightly.landing, target_is_directory=True)
    (tmp_path / "warehouse").mkdir()
    published = tmp_path / "warehouse" / "opsready.duckdb"
    shutil.copy(small_nightly.published, published)
    with duckdb.connect(str(published)) as con:
        con.execute("delete from audit.readiness_history where as_of < ?", [AS_OF])
    with pointed_at(tmp_path):
        result = run_job(Settings.from_env(), "warehouse_only", NightOptions(full_history=True))
    assert result.success
    with duckdb.connect(str(published), read_only=True) as con:
        got = [r[0] for r in con.execute("select distinct as_of from audit.readiness_history order by 1").fetchall()]
    assert got == _month_ends(_earliest_extract(small_nightly.landing), AS_OF)
