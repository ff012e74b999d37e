"""The one Dagster code location: landing → dbt → publish → report, with checks, schedule and sensor.

`build_definitions(settings)` assembles it from a prepared dbt project; the `opsready` command calls it through
orchestration/runtime.py. Dagster's own tools (`dagster dev`, `dagster definitions validate`) load `defs`, which
Dagster calls when it loads the code location: importing this module does no work.
"""

from __future__ import annotations

import os
import warnings
from datetime import timedelta

import dagster as dg

from opsready.paths import Settings
from orchestration.landing.assets import landing
from orchestration.landing.checks import landing_checks
from orchestration.landing.freshness import source_freshness_asset
from orchestration.readiness.checks import readiness_checks
from orchestration.reporting.assets import readiness_report
from orchestration.resources import (GreatExpectationsResource, NightOptions, SettingsResource,
                                     warehouse_resource)
from orchestration.schedules import new_landing_files, nightly_job, nightly_schedule, warehouse_job
from orchestration.transform.assets import build_dbt_assets
from orchestration.transform.dbt_cli import dbt_resource
from orchestration.transform.project import dbt_project, prepare_manifest
from orchestration.warehouse.assets import build_published_warehouse, working_copy

# Freshness set once for every asset: the nightly must have refreshed it within 36 hours.
NIGHTLY_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=36))


def build_definitions(settings: Settings, night: NightOptions | None = None) -> dg.Definitions:
    """Every asset, check, job, schedule and sensor, with resources made from `settings`; `night` is what a run
    evaluates (default: the latest extract date, nothing reprocessed). The dbt manifest must be prepared
    (`prepare_manifest`) before."""
    project = dbt_project()
    dbt_models = build_dbt_assets(project)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)  # map_resolved_asset_specs is preview in Dagster 1.13
        return dg.Definitions(
            assets=[working_copy, source_freshness_asset, landing, dbt_models, build_published_warehouse(dbt_models),
                    readiness_report],
            asset_checks=landing_checks + readiness_checks,
            jobs=[nightly_job, warehouse_job],
            schedules=[nightly_schedule(settings)],
            sensors=[new_landing_files],
            resources={"settings": SettingsResource.of(settings), "night": night or NightOptions(),
                       "warehouse": warehouse_resource(settings), "dbt": dbt_resource(project, settings.dbt_resource),
                       "great_expectations": GreatExpectationsResource()},
        ).map_resolved_asset_specs(func=lambda spec: spec.replace_attributes(freshness_policy=NIGHTLY_FRESHNESS))


@dg.definitions
def defs() -> dg.Definitions:
    """For Dagster's tools: the settings of the process Dagster started, the manifest prepared as a run would."""
    settings = Settings.from_env()
    os.environ.update(settings.child_env())  # dbt's profile, in the runs this process starts, reads them
    prepare_manifest(settings)
    return build_definitions(settings)
