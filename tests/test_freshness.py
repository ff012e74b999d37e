"""A source that has not delivered for the business date is flagged, in `audit` and as a failing check."""

from __future__ import annotations

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from ingest.warehouse import ensure_warehouse


def landing_tree(root, files):
    for rel in files:
        path = root / "landing" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")


def test_late_and_missing_sources_are_flagged(tmp_path):
    from tests.conftest import point_at

    point_at(tmp_path)
    landing_tree(tmp_path, [
        "erp-midstate/2025-12-31/T001W.csv",
        "erp-globaltech/2025-12-31/sites.csv",
        "mes-midstate/2025-12-31/state_events.parquet",
        "mes-globaltech/2025-11-30/machine_states.csv",  # a month behind
        # pilots: nothing delivered at all
    ])
    from orchestration.landing.freshness import source_freshness, source_freshness_asset

    rows = {r["source"]: r for r in source_freshness(tmp_path / "landing")}
    assert rows["mes-globaltech"]["lag_days"] == 31 and rows["mes-globaltech"]["is_late"]
    assert rows["pilots"]["latest_extract_date"] is None and rows["pilots"]["is_late"]
    assert not rows["erp-midstate"]["is_late"] and rows["erp-midstate"]["lag_days"] == 0

    db = tmp_path / "wh.duckdb"
    with duckdb.connect(str(db)) as con:
        ensure_warehouse(con)
    result = dg.materialize([source_freshness_asset], resources={"warehouse": DuckDBResource(database=str(db))},
                            selection=[dg.AssetKey(["audit", "source_freshness"])],
                            raise_on_error=False)
    # the five sample sources (erp-adventureworks, the onboarding example, never delivers to this landing folder)
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()
              if not e.check_name.startswith("erp_adventureworks")}
    assert checks == {"erp_globaltech_delivered": True, "erp_midstate_delivered": True,
                      "mes_globaltech_delivered": False, "mes_midstate_delivered": True, "pilots_delivered": False}
    with duckdb.connect(str(db), read_only=True) as con:
        late = sorted(r[0] for r in con.execute(
            "select source from audit.source_freshness where is_late and source <> 'erp-adventureworks'").fetchall())
    assert late == ["mes-globaltech", "pilots"]
