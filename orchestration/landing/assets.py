"""Ingest assets: one per canonical entity (`raw/<entity>`), loading every new landing file through its source
profile into the run's working copy, all in one step. Pure Polars work lives in `ingest/`; this is a thin wrapper."""


import dagster as dg
from dagster_duckdb import DuckDBResource

import ingest
from ingest.entities import ENTITIES
from ingest.load import QUARANTINED
from orchestration.resources import GreatExpectationsResource, SettingsResource
from orchestration.retry import TRANSIENT_RETRY

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
        # the validator thread's time in Great Expectations (its own process), beside the writes of earlier batches
        "great_expectations_ms": round(1000 * sum(r.gx_seconds for r in results)),
    }


def landing_spec(entity_name: str) -> dg.AssetSpec:
    entity = ENTITIES[entity_name]
    return dg.AssetSpec(
        key=["raw", entity_name],
        deps=[WORKING_COPY],
        group_name="landing",
        kinds={"polars", "duckdb"},
        description=f"{entity.description} Loaded from `{entity.kind}` landing files into `raw.{entity_name}`; "
        "rejected rows go to `audit.quarantine`, every file to `audit.load_log`.",
    )


@dg.multi_asset(specs=[landing_spec(name) for name in ENTITIES], name="landing", can_subset=True,
                retry_policy=TRANSIENT_RETRY)
def landing(context: dg.AssetExecutionContext, warehouse: DuckDBResource,
            great_expectations: GreatExpectationsResource, settings: SettingsResource):
    """Every landing asset in one step, on one connection (a step per entity cost about 0.2 s each, 16 a night, most
    of them finding nothing new), in two lanes of entities side by side (ingest.load_entities). A file that cannot
    be read or mapped is quarantined whole (audit.load_log) and the entity's other files load: the night publishes
    them, and the source's check `<source>_files_loaded` fails (orchestration/landing/freshness.py). An entity with
    a file that fails for a fault of ours (Great Expectations cannot run, the write fails) is not materialized; the
    others are, and the step then fails, so nothing downstream (dbt, publish) runs on a partial load."""
    failures = []
    landing_dir = settings.get().landing_dir
    found = ingest.discover(landing_dir)  # one scan of the landing folder for every entity
    selected = [name for name in ENTITIES if dg.AssetKey(["raw", name]) in context.selected_asset_keys]
    with warehouse.get_connection() as con:
        # two lanes side by side: the heavy MES events, and every other entity (ingest.load_entities)
        loaded = ingest.load_entities(con, selected, landing_dir, context.run.run_id, found,
                                      validate_frames=great_expectations.validate_frames)
        for entity_name, results in loaded.items():
            key = dg.AssetKey(["raw", entity_name])
            lines = [f"{r.file}: {r.status} read={r.rows_read} loaded={r.rows_loaded} "
                     f"quarantined={r.rows_quarantined}{' — ' + r.message if r.message else ''}"
                     for r in results if r.status != "skipped"]
            if lines:  # one event for the entity (hundreds of events cost seconds in Dagster's event log)
                context.log.info(f"{len(lines)} {entity_name} file(s) new this run:\n" + "\n".join(lines))
            for r in results:
                if r.status == QUARANTINED:
                    context.log.warning(f"file quarantined whole, nothing of it loaded: {r.message}")
            failed = [r for r in results if r.status == "failed"]
            if failed:
                failures += [f"- {entity_name}: {r.file}: {r.message}" for r in failed]
                continue
            yield dg.MaterializeResult(asset_key=key, metadata=_summarise(results))
        loaded_ever = con.execute("select count(*) from audit.load_log where status in ('loaded', 'replaced')"
                                  ).fetchone()[0]
    if not loaded_ever and not failures:
        # a first run on an empty or wrong OPSREADY_DATA: say so here, not through dbt's tests failing on no data
        raise dg.Failure(description=f"nothing to build: no landing file has ever been loaded into the warehouse, and "
                         f"none under {landing_dir} could be loaded this run ({len(found)} found). Landing "
                         "files go in <OPSREADY_DATA>/landing/<source>/<YYYY-MM-DD>/<file> (ingest/README.md); "
                         "`opsready generate` writes the sample estate there.", allow_retries=False)
    if failures:
        raise dg.Failure(description=f"{len(failures)} landing file(s) could not be loaded; nothing of them was "
                         "loaded:\n" + "\n".join(failures), allow_retries=False)
