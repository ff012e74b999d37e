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


@dbt_assets(manifest=dbt_project().manifest_path, dagster_dbt_translator=OpsreadyDbtTranslator(), project=dbt_project())
def opsready_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtRunConfig):
    """Build and test every dbt model on the run's working copy. A failing error-severity test fails this step,
    so nothing downstream (publish, report) runs."""
    paths.export_warehouse_env()
    args = ["build"]
    if config.as_of:
        args += ["--vars", json.dumps({"as_of": config.as_of})]
    yield from dbt.cli(args, context=context).stream()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), profiles_dir=str(dbt_project().profiles_dir))
