"""Source freshness and whole-file quarantines, per source system: did each source deliver as often as it does, and
did every file it delivered load?

The business date is the newest extract date in the landing folder. Each source is judged against its own cadence:
`expected: daily|weekly|monthly|quarterly` in its profile, else the median gap between its own extract dates. It is
late when its newest extract is older than the business date by more than that cadence (or by more than
`freshness.max_lag_days`, when its profile sets it). A source that has never delivered, or has delivered once and
has no `expected:`, is not judged: nothing says when it should deliver. Late sources get a failing (warning) check
`<source>_delivered`; every source's row is in `audit.source_freshness`.

A file of the source that this run quarantined whole (it could not be read or mapped; `audit.load_log`) fails the
source's check `<source>_files_loaded` (error severity, not blocking: the night still publishes everything else).
"""

import math
import statistics
from datetime import date

import dagster as dg
import yaml
from dagster_duckdb import DuckDBResource

import ingest
from ingest.entities import ENTITIES
from ingest.load import QUARANTINED
from ingest.profiles import PROFILE_DIR
from orchestration.resources import SettingsResource

FRESHNESS_TABLE = ("run_id VARCHAR, source VARCHAR, latest_extract_date DATE, business_date DATE, lag_days INTEGER, "
                   "max_lag_days INTEGER, is_late BOOLEAN, deliveries INTEGER, basis VARCHAR")
CADENCE_DAYS = {"daily": 1, "weekly": 7, "monthly": 31, "quarterly": 92}  # the longest gap each cadence allows


def known_sources() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def _profile_settings(source: str) -> dict:
    return yaml.safe_load((PROFILE_DIR / f"{source}.yaml").read_text(encoding="utf-8")) or {}


def allowed_lag(source: str, dates: list[date]) -> tuple[int | None, str]:
    """(days the newest extract may lag the business date, how that was decided); None when it cannot be judged."""
    settings = _profile_settings(source)
    explicit = (settings.get("freshness") or {}).get("max_lag_days")
    if explicit is not None:
        return int(explicit), f"profile freshness.max_lag_days: {explicit}"
    expected = settings.get("expected")
    if expected is not None:
        if expected not in CADENCE_DAYS:
            raise ValueError(f"profile {source}.yaml: expected: {expected!r} is not one of "
                             f"{', '.join(CADENCE_DAYS)}")
        return CADENCE_DAYS[expected], f"profile expected: {expected}"
    if len(dates) < 2:
        return None, "never delivered" if not dates else "one delivery, no expected: in its profile"
    gaps = [(later - earlier).days for earlier, later in zip(dates, dates[1:])]
    median = statistics.median(gaps)
    return math.ceil(median), f"median gap of its {len(dates)} deliveries: {median:g} days"


def source_freshness(landing_dir) -> list[dict]:
    """One row per known source: its newest extract date, the business date, the lag, the lag it is allowed and
    whether it is late. A source with no extract at all is not late (it has not started delivering)."""
    delivered: dict[str, set[date]] = {}
    for f in ingest.discover(landing_dir, PROFILE_DIR):
        if f.extract_date and f.profile:
            delivered.setdefault(f.source, set()).add(f.extract_date)
    business_date = max((max(d) for d in delivered.values()), default=None)
    rows = []
    for source in known_sources():
        dates = sorted(delivered.get(source, ()))
        latest = dates[-1] if dates else None
        lag = (business_date - latest).days if latest and business_date else None
        allowed, basis = allowed_lag(source, dates)
        late = lag is not None and allowed is not None and lag > allowed
        rows.append({"source": source, "latest_extract_date": latest, "business_date": business_date,
                     "lag_days": lag, "max_lag_days": allowed, "is_late": late, "deliveries": len(dates),
                     "basis": basis})
    return rows


def quarantined_by_source(con, run_id: str) -> dict[str, list[str]]:
    """`file: message` of every file this run quarantined whole, by source."""
    found: dict[str, list[str]] = {}
    for source, file, message in con.execute(
            "select source, file, message from audit.load_log where run_id = ? and status = ? order by file",
            [run_id, QUARANTINED]).fetchall():
        found.setdefault(source, []).append(message if message.startswith(file) else f"{file}: {message}")
    return found


def _check_name(source: str, what: str) -> str:
    return f"{source.replace('-', '_')}_{what}"


@dg.asset(key=["audit", "source_freshness"],
          deps=[dg.AssetKey(["warehouse", "working_copy"]), *(dg.AssetKey(["raw", e]) for e in ENTITIES)],
          group_name="landing", kinds={"duckdb"},
          check_specs=[spec for s in known_sources() for spec in (
              dg.AssetCheckSpec(_check_name(s, "delivered"), asset=["audit", "source_freshness"],
                                description=f"{s} delivered within its cadence (not judged before it delivers)"),
              dg.AssetCheckSpec(_check_name(s, "files_loaded"), asset=["audit", "source_freshness"],
                                description=f"no file of {s} was quarantined whole this run"))])
def source_freshness_asset(context: dg.AssetExecutionContext, warehouse: DuckDBResource, settings: SettingsResource):
    """Which source systems delivered within their cadence, recorded per run in `audit.source_freshness`, and which
    of their files this run quarantined whole (after the landing step, so it sees them)."""
    try:
        rows = source_freshness(settings.get().landing_dir)
    except ValueError as exc:
        raise dg.Failure(description=str(exc)) from None
    with warehouse.get_connection() as con:
        con.execute(f"CREATE TABLE IF NOT EXISTS audit.source_freshness ({FRESHNESS_TABLE})")
        for column in ("deliveries INTEGER", "basis VARCHAR"):  # a table made before these columns gains them
            con.execute(f"ALTER TABLE audit.source_freshness ADD COLUMN IF NOT EXISTS {column}")
        con.execute("delete from audit.source_freshness where run_id = ?", [context.run.run_id])
        for r in rows:
            con.execute("insert into audit.source_freshness by name select ? as run_id, ? as source, "
                        "? as latest_extract_date, ? as business_date, ? as lag_days, ? as max_lag_days, "
                        "? as is_late, ? as deliveries, ? as basis",
                        [context.run.run_id, r["source"], r["latest_extract_date"], r["business_date"],
                         r["lag_days"], r["max_lag_days"], r["is_late"], r["deliveries"], r["basis"]])
        has_log = con.execute("select count(*) from information_schema.tables where table_schema = 'audit' "
                              "and table_name = 'load_log'").fetchone()[0]
        quarantined = quarantined_by_source(con, context.run.run_id) if has_log else {}
    late = [r["source"] for r in rows if r["is_late"]]
    if late:
        context.log.warning(f"late sources (behind their cadence on {rows[0]['business_date']}): "
                            + ", ".join(f"{r['source']} ({r['lag_days']} days; {r['basis']})"
                                        for r in rows if r["is_late"]))
    yield dg.MaterializeResult(metadata={"late_sources": late, "business_date": str(rows[0]["business_date"]),
                                         "sources_with_quarantined_files": sorted(quarantined)})
    for r in rows:
        yield dg.AssetCheckResult(
            check_name=_check_name(r["source"], "delivered"), passed=not r["is_late"],
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"latest_extract_date": str(r["latest_extract_date"]), "lag_days": r["lag_days"],
                      "max_lag_days": r["max_lag_days"], "basis": r["basis"]},
        )
    for source in known_sources():
        files = quarantined.get(source, [])
        yield dg.AssetCheckResult(
            check_name=_check_name(source, "files_loaded"), passed=not files, severity=dg.AssetCheckSeverity.ERROR,
            metadata={"quarantined_files": len(files), "files": files[:50]},
            description=f"{len(files)} file(s) of {source} quarantined whole: nothing of them loaded" if files
            else None,
        )
