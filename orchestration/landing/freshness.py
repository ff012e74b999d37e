"""Source freshness: did every source system deliver for the run's business date?

The business date is the newest extract date in the landing folder. A source whose newest extract is older than
that by more than its profile's `freshness.max_lag_days` (default 1) is late: it gets a row in
`audit.source_freshness` and a failing (warning) check, so yesterday's data is never silently taken as today's.
"""

from datetime import date

import dagster as dg
import yaml
from dagster_duckdb import DuckDBResource

import ingest
from ingest.profiles import PROFILE_DIR
from orchestration.resources import SettingsResource

FRESHNESS_TABLE = ("run_id VARCHAR, source VARCHAR, latest_extract_date DATE, business_date DATE, lag_days INTEGER, "
                   "max_lag_days INTEGER, is_late BOOLEAN")


def known_sources() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def max_lag_days(source: str) -> int:
    profile = yaml.safe_load((PROFILE_DIR / f"{source}.yaml").read_text()) or {}
    return int((profile.get("freshness") or {}).get("max_lag_days", 1))


def source_freshness(landing_dir) -> list[dict]:
    """One row per known source: its newest extract date, the business date, the lag and whether it is late.
    A source with no extract at all is late with a null date."""
    newest: dict[str, date] = {}
    for f in ingest.discover(landing_dir):
        if f.extract_date and f.profile:
            newest[f.source] = max(newest.get(f.source, f.extract_date), f.extract_date)
    business_date = max(newest.values(), default=None)
    rows = []
    for source in known_sources():
        latest = newest.get(source)
        lag = (business_date - latest).days if latest and business_date else None
        allowed = max_lag_days(source)
        rows.append({"source": source, "latest_extract_date": latest, "business_date": business_date,
                     "lag_days": lag, "max_lag_days": allowed, "is_late": lag is None or lag > allowed})
    return rows


@dg.asset(key=["audit", "source_freshness"], deps=[dg.AssetKey(["warehouse", "working_copy"])],
          group_name="landing", kinds={"duckdb"},
          check_specs=[dg.AssetCheckSpec(f"{s.replace('-', '_')}_delivered", asset=["audit", "source_freshness"])
                       for s in known_sources()])
def source_freshness_asset(context: dg.AssetExecutionContext, warehouse: DuckDBResource, settings: SettingsResource):
    """Which source systems delivered for the business date, recorded per run in `audit.source_freshness`."""
    rows = source_freshness(settings.get().landing_dir)
    with warehouse.get_connection() as con:
        con.execute(f"CREATE TABLE IF NOT EXISTS audit.source_freshness ({FRESHNESS_TABLE})")
        con.execute("delete from audit.source_freshness where run_id = ?", [context.run.run_id])
        for r in rows:
            con.execute("insert into audit.source_freshness values (?, ?, ?, ?, ?, ?, ?)",
                        [context.run.run_id, r["source"], r["latest_extract_date"], r["business_date"],
                         r["lag_days"], r["max_lag_days"], r["is_late"]])
    late = [r["source"] for r in rows if r["is_late"]]
    if late:
        context.log.warning(f"late sources (not delivered for {rows[0]['business_date']}): {', '.join(late)}")
    yield dg.MaterializeResult(metadata={"late_sources": late, "business_date": str(rows[0]["business_date"])})
    for r in rows:
        yield dg.AssetCheckResult(
            check_name=f"{r['source'].replace('-', '_')}_delivered", passed=not r["is_late"],
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"latest_extract_date": str(r["latest_extract_date"]), "lag_days": r["lag_days"],
                      "max_lag_days": r["max_lag_days"]},
        )
