"""dbt models (staging → intermediate → marts) as Dagster assets; dbt tests arrive as asset checks."""


import json

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from opsready import paths
from orchestration.transform.project import dbt_project
from orchestration.transform.translator import OpsreadyDbtTranslator


class DbtRunConfig(dg.Config):
    """`as_of`: the readiness date (YYYY-MM-DD); empty means the latest extract date loaded."""

    as_of: str = ""
    # Readiness evaluation dates (YYYY-MM-DD) for a backfill of verdicts; empty means the readiness date only.
    readiness_dates: list[str] = []


@dbt_assets(manifest=dbt_project().manifest_path, dagster_dbt_translator=OpsreadyDbtTranslator(), project=dbt_project())
def opsready_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtRunConfig):
    """Build and test every dbt model on the run's working copy. A failing error-severity test fails this step,
    so nothing downstream (publish, report) runs."""
    paths.export_warehouse_env()
    from opsready.gates import dbt_vars  # the readiness gates of config/gates.yaml, validated (clear error on bad keys)

    dbt_run_vars = dbt_vars(dates=config.readiness_dates or None)
    if config.as_of:
        dbt_run_vars["as_of"] = config.as_of
    args = ["build", "--vars", json.dumps(dbt_run_vars)]
    yield from dbt.cli(args, context=context).stream()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), profiles_dir=str(dbt_project().profiles_dir))
