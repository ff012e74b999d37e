"""The warehouse's life in a run: a fresh working copy at the start, an atomic publish at the end."""

from datetime import date

import dagster as dg
import duckdb

import ingest
from orchestration.resources import NightOptions, SettingsResource
from orchestration.retry import TRANSIENT_RETRY
from orchestration.transform.build_state import QUIET_TAG, nothing_new
from orchestration.warehouse.reprocess import reprocess_extract_dates
from orchestration.warehouse.run_history import record_run_history
from orchestration.warehouse.working_copy import publish_working_copy, reset_working_copy

REQUIRED_MARTS = (
    "fct_oee_daily", "plant_mdq", "pilot_to_scale", "benefit_realisation", "initiative_hygiene",
    "plant_readiness", "readiness_criteria",
)
WORKING_COPY = dg.AssetKey(["warehouse", "working_copy"])
PUBLISHED = dg.AssetKey(["warehouse", "published"])


@dg.asset(key=WORKING_COPY, group_name="warehouse", kinds={"duckdb"}, retry_policy=TRANSIENT_RETRY)
def working_copy(context: dg.AssetExecutionContext, settings: SettingsResource,
                 night: NightOptions) -> dg.MaterializeResult:
    """The DuckDB file this run builds into: a fresh copy of the published warehouse (empty on the first run).
    Analysts never see it; a killed run leaves it behind and the next run replaces it. With `reprocess_from`/
    `reprocess_to`, the MES loads of those extract dates are recomputed (orchestration/warehouse/reprocess.py)."""
    where = settings.get()
    path = reset_working_copy(where.published_warehouse, where.working_warehouse)
    context.log.info(f"working copy ready at {path}")
    reprocessed = 0
    with duckdb.connect(str(path)) as con:
        if night.reprocess_from:
            start, end = date.fromisoformat(night.reprocess_from), date.fromisoformat(night.reprocess_to)
            reprocessed = reprocess_extract_dates(con, start, end)
            context.log.info(f"reprocessing extract dates {start}..{end}: {reprocessed} MES loads recomputed")
        unplaced = ingest.record_unmapped_files(con, where.landing_dir, context.run.run_id)
    for r in unplaced:  # recorded in audit.load_log as failed; they belong to no entity, so they block nothing
        context.log.warning(f"landing file not loaded: {r.file}: {r.message}")
    return dg.MaterializeResult(metadata={"path": str(path), "size_bytes": path.stat().st_size,
                                          "reprocessed_mes_loads": reprocessed,
                                          "unplaced_landing_files": [f"{r.file}: {r.message}" for r in unplaced]})


def integrity_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What must hold before a warehouse may be published. Readiness verdicts are not among them."""
    problems = []
    for file, read, loaded, quarantined in con.execute(
        "select file, rows_read, rows_loaded, rows_quarantined from audit.load_log "
        "where status in ('loaded', 'replaced') and rows_read <> rows_loaded + rows_quarantined"
    ).fetchall():
        problems.append(f"{file}: rows read {read} != loaded {loaded} + quarantined {quarantined}")
    marts = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
    problems += [f"mart marts.{m} is missing" for m in REQUIRED_MARTS if m not in marts]
    return problems


def build_published_warehouse(dbt_models: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """The publish step, after every dbt model (and its tests) and the source-freshness record."""

    @dg.asset(key=PUBLISHED, deps=[*dbt_models.keys, dg.AssetKey(["audit", "source_freshness"])],
              group_name="warehouse", kinds={"duckdb"}, retry_policy=TRANSIENT_RETRY)
    def published_warehouse(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
        """`$OPSREADY_DATA/warehouse/opsready.duckdb`: the working copy, once its integrity checks pass, swapped in
        atomically. Open read-only sessions keep their snapshot; the last published file is never half-written.
        A run that leaves dbt out (a quiet night: orchestration/runtime.py) publishes only if its landing step
        loaded nothing, so the marts never lag the raw tables they are built from."""
        where = settings.get()
        selection = context.run.asset_selection  # empty: the whole job
        dbt_left_out = bool(selection) and not set(dbt_models.keys) & selection
        with duckdb.connect(str(where.working_warehouse), read_only=True) as con:
            if dbt_left_out and not nothing_new(con, context.run.run_id):
                raise dg.Failure(description="not published; the last published warehouse is unchanged: landing "
                                 "files were loaded, or quarantined, in a run without dbt (a file landed after the "
                                 "run started?); the next night loads and builds them", allow_retries=False)
            problems = integrity_problems(con)
            counts = {m: con.execute(f"select count(*) from marts.{m}").fetchone()[0]
                      for m in REQUIRED_MARTS if not any(m in p for p in problems)}
        if problems:
            raise dg.Failure(description="not published; the last published warehouse is unchanged:\n- "
                             + "\n- ".join(problems), allow_retries=False)
        with duckdb.connect(str(where.working_warehouse)) as con:
            runs = record_run_history(con, context.instance, context.run.run_id)
        context.log.info(f"run history: {runs} runs recorded in audit.run_log")
        published = publish_working_copy(where.published_warehouse, where.working_warehouse)
        context.log.info(f"published {published}")
        quiet = context.run.tags.get(QUIET_TAG)
        stands = {"dbt_not_run": f"nothing new landed and the dbt project is unchanged: the models and test "
                                 f"results of the build of {quiet} stand"} if quiet else {}
        return dg.MaterializeResult(metadata={"path": str(published), **{f"rows_{k}": v for k, v in counts.items()},
                                              **stands})

    return published_warehouse
