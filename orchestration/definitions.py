"""The one Dagster code location: landing → dbt → publish → report, with checks, schedule and sensor."""

from __future__ import annotations

import warnings
from datetime import timedelta

import dagster as dg

from opsready import paths
from orchestration.landing.assets import landing
from orchestration.landing.checks import landing_checks
from orchestration.landing.freshness import source_freshness_asset
from orchestration.readiness.checks import readiness_checks
from orchestration.reporting.assets import readiness_report
from orchestration.resources import GreatExpectationsResource, warehouse_resource
from orchestration.schedules import new_landing_files, nightly_job, nightly_schedule, warehouse_job
from orchestration.transform.assets import dbt_resource, opsready_dbt_models
from orchestration.warehouse.assets import published_warehouse, working_copy

paths.export_warehouse_env()

# Freshness set once for every asset: the nightly must have refreshed it within 36 hours.
NIGHTLY_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=36))

with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.PreviewWarning)  # map_resolved_asset_specs is preview in Dagster 1.13
    defs = dg.Definitions(
        assets=[working_copy, source_freshness_asset, landing, opsready_dbt_models, published_warehouse, readiness_report],
        asset_checks=landing_checks + readiness_checks,
        jobs=[nightly_job, warehouse_job],
        schedules=[nightly_schedule],
        sensors=[new_landing_files],
        resources={"warehouse": warehouse_resource(), "dbt": dbt_resource(),
                   "great_expectations": GreatExpectationsResource()},
    ).map_resolved_asset_specs(func=lambda spec: spec.replace_attributes(freshness_policy=NIGHTLY_FRESHNESS))
