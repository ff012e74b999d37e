"""The readiness report (Evidence static site), built from the published warehouse after every publish."""


import dagster as dg

from opsready import paths


@dg.asset(key=["report", "readiness_site"], deps=[dg.AssetKey(["warehouse", "published"])], group_name="report",
          kinds={"evidence"})
def readiness_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """`$OPSREADY_DATA/reports/site`: portfolio, plants, gates and data quality, built offline from the
    published warehouse (never the one being written) and swapped in only when the build succeeds."""
    from opsready.report import build_report

    site = build_report(paths.published_warehouse(), paths.published_report())
    context.log.info(f"report published at {site}")
    return dg.MaterializeResult(metadata={"path": str(site)})
