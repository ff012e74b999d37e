"""Ingest assets: one per canonical entity (`raw/<entity>`), loading every new landing file through its source
profile into the run's working copy. Pure Polars work lives in `ingest/`; these are thin wrappers."""


import dagster as dg
from dagster_duckdb import DuckDBResource

import ingest
from ingest.entities import ENTITIES
from opsready import paths

WORKING_COPY = dg.AssetKey(["warehouse", "working_copy"])


def _summarise(results) -> dict:
    by_status: dict[str, int] = {}
    for r in results:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    return {
        "files": len(results),
        **{f"files_{k}": v for k, v in sorted(by_status.items())},
        "rows_read": sum(r.rows_read or 0 for r in results),
        "rows_loaded": sum(r.rows_loaded or 0 for r in results),
        "rows_quarantined": sum(r.rows_quarantined or 0 for r in results),
    }


def build_landing_asset(entity_name: str) -> dg.AssetsDefinition:
    entity = ENTITIES[entity_name]

    @dg.asset(
        key=["raw", entity_name],
        deps=[WORKING_COPY],
        group_name="landing",
        kinds={"polars", "duckdb"},
        description=f"{entity.description} Loaded from `{entity.kind}` landing files into `raw.{entity_name}`; "
        "rejected rows go to `audit.quarantine`, every file to `audit.load_log`.",
    )
    def _landing_asset(context: dg.AssetExecutionContext, warehouse: DuckDBResource) -> dg.MaterializeResult:
        with warehouse.get_connection() as con:
            results = ingest.load_entity(con, entity_name, paths.landing_dir(), context.run.run_id)
        lines = [f"{r.file}: {r.status} read={r.rows_read} loaded={r.rows_loaded} quarantined={r.rows_quarantined}"
                 f"{' — ' + r.message if r.message else ''}" for r in results if r.status != "skipped"]
        if lines:  # one event for the entity (hundreds of events cost seconds in Dagster's event log)
            context.log.info(f"{len(lines)} {entity_name} file(s) new this run:\n" + "\n".join(lines))
        failed = [r for r in results if r.status == "failed"]
        if failed:
            raise dg.Failure(
                description=f"{len(failed)} {entity_name} file(s) could not be loaded; nothing of them was loaded:\n"
                + "\n".join(f"- {r.file}: {r.message}" for r in failed),
                metadata=_summarise(results),
            )
        return dg.MaterializeResult(metadata=_summarise(results))

    _landing_asset.__name__ = f"raw_{entity_name}"
    return _landing_asset


landing_assets = [build_landing_asset(name) for name in ENTITIES]
