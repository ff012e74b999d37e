"""dbt models (staging → intermediate → marts) as Dagster assets; dbt tests arrive as asset checks."""


import json
import shutil
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets, get_asset_key_for_model
from packaging import version

from opsready import paths
from orchestration.transform.project import DBT_PROJECT_DIR, dbt_executable, dbt_project
from orchestration.transform.translator import OpsreadyDbtTranslator
from orchestration.transform.unchanged_staging import LeftOut, nodes_to_leave_out, project_fingerprint, record_build

INCREMENTAL_THREADS = 4  # dbt threads on nights that build on a published warehouse
KEEP_RUN_TARGETS = 3  # dagster-dbt run folders kept under dbt_project/target


class DbtRunConfig(dg.Config):
    """`as_of`: the readiness date (YYYY-MM-DD); empty means the latest extract date loaded."""

    as_of: str = ""
    # Readiness evaluation dates (YYYY-MM-DD) for a backfill of verdicts; empty means the readiness date only.
    readiness_dates: list[str] = []
    # Evaluate every month end since the earliest data as well (`opsready run --history`); a first run does it anyway.
    full_history: bool = False


@dbt_assets(manifest=dbt_project().manifest_path, dagster_dbt_translator=OpsreadyDbtTranslator(), project=dbt_project())
def opsready_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtRunConfig):
    """Build every dbt model on the run's working copy and run its data tests (less the staging views and tests
    whose raw tables did not change, see unchanged_staging.py). A failing error-severity test fails this step, so
    nothing downstream (publish, report) runs."""
    paths.export_warehouse_env()
    from opsready.gates import date_problem, dbt_vars  # dbt_vars: the gates of config/gates.yaml, validated

    if config.as_of and (problem := date_problem(config.as_of)):
        raise dg.Failure(description=f"as_of {config.as_of!r}: {problem}")

    dbt_run_vars = dbt_vars(dates=config.readiness_dates or None)
    if config.as_of:
        dbt_run_vars["as_of"] = config.as_of
    if config.full_history:
        dbt_run_vars["readiness_full_history"] = True
    # Unit tests check the models' SQL on fixed inputs, not the night's data: `make test` runs them
    # (tests/test_dbt_unit_tests.py), the nightly leaves them out (dbt's advice for production runs).
    args = ["build", "--vars", json.dumps(dbt_run_vars), "--exclude-resource-type", "unit_test"]
    fingerprint = project_fingerprint(DBT_PROJECT_DIR)
    left_out = LeftOut(tests=[], views=[])
    if paths.published_warehouse().exists():
        # An incremental night: a few hundred small models and tests, so more of them at once (measured: a quiet
        # build at ten times the sample went from 52 s to 38 s). The first build keeps the profile's 1 thread:
        # DuckDB runs each query on every core, and side by side its big window queries compete for the memory limit
        # and spill (at ten times the sample: 95 s with 2 threads, 80 s with 1; at the sample's size 1.5 s slower).
        args += ["--threads", str(INCREMENTAL_THREADS)]
        manifest = json.loads(dbt_project().manifest_path.read_text())
        left_out = nodes_to_leave_out(paths.build_warehouse(), manifest, context.run.run_id, fingerprint)
    if left_out.tests or left_out.views:
        context.log.info(f"{len(left_out.views)} staging views and {len(left_out.tests)} staging tests left out: "
                         "their raw tables got no new rows this run and the project is the published build's "
                         "(orchestration/transform/unchanged_staging.py): "
                         + ", ".join(left_out.views + left_out.tests))
        args += ["--exclude", " ".join(left_out.views + left_out.tests)]
    # Dagster wants a multi-asset's outputs in topological order: the left-out views come before anything built on them
    yield from _unchanged_views(context, left_out.views)
    invocation = dbt.cli(args, context=context)
    try:
        yield from invocation.stream()
    finally:
        prune_run_targets(Path(invocation.target_path).parent)
    record_build(paths.build_warehouse(), context.run.run_id, fingerprint, left_out)


def _unchanged_views(context: dg.AssetExecutionContext, views: list[str]):
    """A materialization for each left-out view: it is in the working copy as the published build created it, over
    raw tables this run did not change, so its data is as current as the build's (and its freshness says so)."""
    for view in views:
        key = get_asset_key_for_model([opsready_dbt_models], view)
        if key not in context.selected_asset_keys:  # a run of a subset of the models
            continue
        yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_key(key),
                        metadata={"left_out": "unchanged view over unchanged raw tables (unchanged_staging.py)"})




def prune_run_targets(target_dir: Path, keep: int = KEEP_RUN_TARGETS) -> None:
    """dagster-dbt gives every run its own target folder (compiled SQL, logs, run_results.json) and never removes
    it; keep the newest few for debugging and remove the rest, so years of nightlies do not pile up."""
    runs = sorted((p for p in target_dir.glob("opsready_dbt_models-*") if p.is_dir()),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for old in runs[keep:]:
        shutil.rmtree(old, ignore_errors=True)


class OpsreadyDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource minus two start-up costs it pays on every run for things opsready does not use
    (about 6 s a night at 2 cores, measured): `dbt --version` in a subprocess to learn the version (we run the venv's
    own dbt, whose version is the installed dbt-core's), and dbt's macros loaded in process to hand an adapter to
    the row-count and column-metadata fetchers (never called here; dagster-dbt runs without one for dbt Fusion)."""

    @property
    def _cli_version(self) -> version.Version:
        from dbt.version import __version__

        return version.parse(__version__)

    def _initialize_dbt_core_adapter(self, args):
        return None


# dbt's file log (dbt.log in the run's target folder) at info: node results, warnings and errors. At debug (dbt's
# default) it also writes every SQL statement, 8 MB a night, and its threads queue on the log file's lock: measured
# on a built warehouse ten times the sample, 3 runs each way, 4-6 s less CPU and 2-7 s less wall time per build.
# Failing SQL still reaches the Dagster log and run_results.json; compiled SQL stays under the run's target folder.
# As text, not JSON: dagster-dbt reads dbt's JSON lines on stdout, and writing each event as JSON a second time for
# the file cost dbt 0.4-0.9 s of interpreter time on a +1-day night at ten times the sample (py-spy --gil, 2 runs
# each way; the node phase of such a night is bound by that interpreter time). No colour codes in either log.
DBT_GLOBAL_FLAGS = ["--log-level-file", "info", "--log-format-file", "text", "--no-use-colors", "--no-use-colors-file"]


def dbt_resource() -> DbtCliResource:
    # the venv's dbt (next to this interpreter), so `.venv/bin/opsready run` works without an activated venv
    return OpsreadyDbtCliResource(project_dir=dbt_project(), profiles_dir=str(dbt_project().profiles_dir),
                                  dbt_executable=dbt_executable(), global_config_flags=DBT_GLOBAL_FLAGS)
