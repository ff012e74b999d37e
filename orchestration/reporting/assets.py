"""The readiness report (Evidence static site), built from the published warehouse after every publish."""


import dagster as dg

from opsready.report import build_report
from orchestration.resources import SettingsResource


@dg.asset(key=["report", "readiness_site"], deps=[dg.AssetKey(["warehouse", "published"])], group_name="report",
          kinds={"evidence"})
def readiness_report(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    """`$OPSREADY_DATA/reports/site`: portfolio, plants, gates and data quality, built offline from the
    published warehouse (never the one being written) and swapped in only when the build succeeds."""
    where = settings.get()
    site = build_report(where.published_warehouse, where.published_report)
    context.log.info(f"report published at {site}")
    return dg.MaterializeResult(metadata={"path": str(site)})
