"""How dbt nodes become Dagster assets: models keyed by schema and name, grouped by their folder; dbt tests become
non-blocking asset checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetCheckSpec, AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings


class OpsreadyDbtTranslator(DagsterDbtTranslator):
    """`marts/pilot_to_scale.sql` → asset `marts/pilot_to_scale` in group `marts`; sources keep their
    `meta.dagster.asset_key` (`raw/<entity>`), so they join up with the ingest assets. dbt tests are asset checks
    that do not block: dbt itself stops the build on a failing error-severity test (the dbt step fails, so nothing
    downstream runs), and a test dbt's selection leaves out on a night with nothing new (transform/assets.py) is
    then simply not run tonight, not a blocking check without a result (which Dagster warns about, one line each)."""

    def __init__(self):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "snapshot", "seed"):
            return AssetKey([dbt_resource_props["config"].get("schema") or "main", dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_asset_check_spec(self, asset_spec: AssetSpec, manifest: Mapping[str, Any], unique_id: str,
                             project) -> AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        return spec._replace(blocking=False) if spec is not None else None

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props["resource_type"] == "model" and len(fqn) > 2:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)
