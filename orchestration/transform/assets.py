"""dbt models (staging → intermediate → marts) as Dagster assets; dbt tests arrive as asset checks."""

import json
import shutil
import tempfile
from graphlib import TopologicalSorter
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from opsready import gates, lake
from orchestration.resources import NightOptions, SettingsResource
from orchestration.transform.build_state import project_fingerprint, record_build, unchanged_build
from orchestration.transform.project import dbt_build_args
from orchestration.transform.translator import OpsreadyDbtTranslator

INCREMENTAL_THREADS = 4  # dbt threads on nights that build on a published warehouse
KEEP_RUN_TARGETS = 3  # dagster-dbt run folders kept under dbt_project/target
DBT_STEP = "opsready_dbt_models"

def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """Every dbt model of the project as one multi-asset, from its prepared manifest (transform/project.py)."""

    @dbt_assets(manifest=project.manifest_path, dagster_dbt_translator=OpsreadyDbtTranslator(), project=project,
                name=DBT_STEP)
    def opsready_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, night: NightOptions,
                            settings: SettingsResource):
        """Build every dbt model on the run's working copy and run every data test. The heavy models are
        incremental (they recompute only what the night's loads touched); views and tests are cheap. A failing
        error-severity test fails this step, so nothing downstream (publish, report) runs. A night on the published
        build's project and vars builds only what its new rows, or the project's changes, reach
        (transform/build_state.py).

        With `OPSREADY_ENGINE=spark` the same project builds on Spark (dbt's `spark` target): the night's raw tables
        go to the Parquet lake first, Spark's raw tables are declared over them, and the marts Spark wrote are copied
        into the working copy afterwards, so publishing, the report and `opsready gate` read DuckDB as always."""
        dbt_run_vars = {**gates.dbt_vars(), **night.dbt_vars()}  # the gates of config/gates.yaml, validated
        where = settings.get()
        fingerprint = project_fingerprint()  # the project this build runs, before anyone edits it meanwhile
        args = dbt_build_args(dbt_run_vars)
        if where.engine == "spark":
            args += ["--target", "spark"]
            prepare_spark_raw(context, dbt, project.manifest_path, where.working_warehouse, where.lake_dir)
        elif where.published_warehouse.exists():
            # An incremental night: many small models and tests, whose per-node overhead overlaps when several run
            # at once. The first build keeps the profile's 1 thread: DuckDB runs each query on every core, and side
            # by side its big window queries compete for the memory limit and spill.
            args += ["--threads", str(INCREMENTAL_THREADS)]
        with tempfile.TemporaryDirectory(prefix="opsready-dbt-state-") as state_dir:
            # dbt lets a --selector override the --select dagster-dbt adds for the whole asset. The published build's
            # state describes a DuckDB build: Spark builds everything.
            unchanged_args, earlier_results, why = ([], {}, "") if where.engine == "spark" else unchanged_build(
                where.working_warehouse, context.run.run_id, dbt_run_vars, reprocessing=bool(night.reprocess_from),
                state_dir=Path(state_dir), fingerprint=fingerprint)
            invocation = dbt.cli(args + unchanged_args, context=context)
            try:
                if unchanged_args:
                    yield from with_unchanged(context, list(invocation.stream()), earlier_results, why)
                else:
                    yield from invocation.stream()
            finally:
                prune_run_targets(Path(invocation.target_path).parent)
        if where.engine == "spark":
            copied = lake.copy_marts_back(where.lake_dir, where.working_warehouse, spark_marts(invocation.manifest))
            context.log.info(f"marts copied from Spark into the working copy: {copied}")
        record_build(where.working_warehouse, Path(invocation.target_path), dbt_run_vars, earlier_results, fingerprint)

    return opsready_dbt_models


def with_unchanged(context: dg.AssetExecutionContext, events: list, earlier_results: dict[str, dict], why: str):
    """A night that builds only part of the project (transform/build_state.py): dbt's events for what it rebuilt,
    and the models and tests it left alone, which are as the published build left them. Each model left alone is
    output as tonight's with the note `why`, so publish and the report (downstream of every model) run. A test left
    alone that did not pass in the published build reports that result again (same SQL, same rows), so the night's
    warnings stay on the console and in the summary; one that passed is not re-reported: like any check dbt's
    selection leaves out, Dagster shows it not run tonight and its last result stays the published build's
    (re-reporting the passing ones made a large share of the night's Dagster events, each a write to Dagster's
    storage). Every output comes in dependency order, as Dagster wants, then the check results."""
    assets = context.assets_def
    name_of = {key: name for name, key in assets.keys_by_output_name.items()}
    built = {e.output_name: e for e in events if isinstance(e, dg.Output)}
    checked = {e.check_name for e in events if isinstance(e, dg.AssetCheckResult)}
    selected = set(context.op_execution_context.selected_output_names)
    order = TopologicalSorter({key: assets.asset_deps.get(key, set()) & set(name_of) for key in name_of})
    for key in order.static_order():
        name = name_of.get(key)
        if name in built:
            yield built[name]
        elif name in selected:
            yield dg.Output(None, output_name=name, metadata={"unchanged": why})
    yield from (e for e in events if not isinstance(e, dg.Output))
    for check in context.selected_asset_check_keys:
        earlier = earlier_results.get(check.name)
        if check.name in checked or earlier is None or earlier["status"] == "pass":
            continue
        yield dg.AssetCheckResult(
            asset_key=check.asset_key, check_name=check.name, passed=earlier["status"] == "pass",
            severity=dg.AssetCheckSeverity.WARN if earlier["status"] == "warn" else dg.AssetCheckSeverity.ERROR,
            metadata={"unchanged": why, "status": earlier["status"], "failures": earlier["failures"]})


def prepare_spark_raw(context: dg.AssetExecutionContext, dbt: DbtCliResource, manifest: Path, warehouse: Path,
                      lake_dir: Path) -> None:
    """The night's raw tables as Parquet in the lake, and Spark's raw tables declared over them (a dbt operation,
    not an asset: no asset context, so dagster-dbt adds no model selection to it)."""
    written = lake.export_raw(warehouse, lake_dir)
    context.log.info(f"raw exported to {lake_dir}: {written}")
    tables = {"tables": lake.spark_raw_tables(warehouse, lake_dir)}
    dbt.cli(["run-operation", "spark_raw_tables", "--target", "spark", "--args", json.dumps(tables)],
            manifest=manifest).wait()


def spark_marts(manifest: dict) -> list[str]:
    """The marts Spark writes as files under the lake: the project's models in the marts schema."""
    return sorted(node["name"] for node in manifest["nodes"].values()
                  if node["resource_type"] == "model" and node["config"].get("schema") == lake.MARTS_SCHEMA)


def prune_run_targets(target_dir: Path, keep: int = KEEP_RUN_TARGETS) -> None:
    """dagster-dbt gives every run its own target folder (compiled SQL, logs, run_results.json) and never removes
    it; keep the newest few for debugging and remove the rest, so years of nightlies do not pile up."""
    runs = sorted((p for p in target_dir.glob(f"{DBT_STEP}-*") if p.is_dir()),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for old in runs[keep:]:
        shutil.rmtree(old, ignore_errors=True)
