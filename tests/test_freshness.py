"""Lateness per source against its own cadence (its profile's `expected:` or the median gap of its deliveries),
never for a source that has not delivered yet; flagged in `audit` and as a failing check."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from ingest.warehouse import ensure_warehouse
from opsready.paths import Settings
from orchestration.landing.freshness import source_freshness, source_freshness_asset
from orchestration.resources import SettingsResource
from tests.conftest import point_at


def landing_tree(root, files):
    for rel in files:
        path = root / "landing" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")


def month_ends(first: date, last: date) -> list[date]:
    """Every month end from first to last (both month ends)."""
    out, day = [], first
    while day <= last:
        out.append(day)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)  # the first of the next month
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return out


def test_late_sources_are_flagged_and_a_source_that_never_delivered_is_not(tmp_path):
    point_at(tmp_path)
    monthly = month_ends(date(2025, 1, 31), date(2025, 12, 31))
    landing_tree(tmp_path, [
        *(f"erp-midstate/{d}/T001W.csv" for d in monthly),
        "erp-globaltech/2025-12-31/sites.csv",  # one delivery: not judged (no history, no expected:)
        *(f"mes-midstate/{d}/state_events.parquet" for d in monthly),
        # monthly until September, then nothing: three months behind its own cadence
        *(f"mes-globaltech/{d}/machine_states.csv" for d in monthly if d <= date(2025, 9, 30)),
        # pilots: nothing delivered at all
    ])
    rows = {r["source"]: r for r in source_freshness(tmp_path / "landing")}
    # the median gap of month ends Jan..Sep (28, 31, 30, 31, 30, 31, 31, 30 days) is 30.5: 31 days allowed
    assert (rows["mes-globaltech"]["lag_days"], rows["mes-globaltech"]["max_lag_days"]) == (92, 31)
    assert rows["mes-globaltech"]["is_late"]
    assert rows["mes-globaltech"]["basis"] == "median gap of its 9 deliveries: 30.5 days"
    assert rows["pilots"]["latest_extract_date"] is None and not rows["pilots"]["is_late"]
    assert rows["pilots"]["basis"] == "never delivered"
    assert not rows["erp-globaltech"]["is_late"] and rows["erp-globaltech"]["max_lag_days"] is None
    assert not rows["erp-midstate"]["is_late"] and rows["erp-midstate"]["lag_days"] == 0

    db = tmp_path / "wh.duckdb"
    with duckdb.connect(str(db)) as con:
        ensure_warehouse(con)
    result = dg.materialize([source_freshness_asset], resources={"warehouse": DuckDBResource(database=str(db)),
                                                                "settings": SettingsResource.of(Settings.from_env())},
                            selection=[dg.AssetKey(["audit", "source_freshness"])],
                            raise_on_error=False)
    # the five sample sources (erp-adventureworks, the onboarding example, never delivers to this landing folder)
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()
              if not e.check_name.startswith("erp_adventureworks")}
    assert {k: v for k, v in checks.items() if k.endswith("_delivered")} == {
        "erp_globaltech_delivered": True, "erp_midstate_delivered": True, "mes_globaltech_delivered": False,
        "mes_midstate_delivered": True, "pilots_delivered": True}
    # no file was quarantined whole in this run
    assert {k: v for k, v in checks.items() if k.endswith("_files_loaded")} == {
        f"{s}_files_loaded": True for s in ("erp_globaltech", "erp_midstate", "mes_globaltech", "mes_midstate",
                                            "pilots")}
    with duckdb.connect(str(db), read_only=True) as con:
        late = sorted(r[0] for r in con.execute(
            "select source from audit.source_freshness where is_late").fetchall())
    assert late == ["mes-globaltech"]


def test_an_expected_cadence_in_the_profile_judges_a_source_with_one_delivery(tmp_path, monkeypatch):
    import shutil

    from ingest.profiles import PROFILE_DIR
    from orchestration.landing import freshness

    profiles = tmp_path / "profiles"
    shutil.copytree(PROFILE_DIR, profiles)
    for name, cadence in (("erp-globaltech", "weekly"), ("pilots", "quarterly")):
        profile = profiles / f"{name}.yaml"
        profile.write_text(profile.read_text(encoding="utf-8") + f"expected: {cadence}\n", encoding="utf-8")
    monkeypatch.setattr(freshness, "PROFILE_DIR", profiles)
    landing_tree(tmp_path, [
        "erp-midstate/2025-12-31/T001W.csv",
        "erp-globaltech/2025-12-20/sites.csv",  # weekly, 11 days behind: late
        "pilots/2025-10-31/roadmap_register.xlsx",  # quarterly, 61 days behind: not late
    ])
    rows = {r["source"]: r for r in freshness.source_freshness(tmp_path / "landing")}
    assert (rows["erp-globaltech"]["lag_days"], rows["erp-globaltech"]["max_lag_days"],
            rows["erp-globaltech"]["is_late"], rows["erp-globaltech"]["basis"]) == (
        11, 7, True, "profile expected: weekly")
    assert (rows["pilots"]["lag_days"], rows["pilots"]["max_lag_days"], rows["pilots"]["is_late"]) == (61, 92, False)
    assert not rows["mes-midstate"]["is_late"] and rows["mes-midstate"]["basis"] == "never delivered"
