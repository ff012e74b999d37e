"""How dbt nodes become Dagster assets: models keyed by schema and name, grouped by their folder."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings


class OpsreadyDbtTranslator(DagsterDbtTranslator):
    """`marts/pilot_to_scale.sql` → asset `marts/pilot_to_scale` in group `marts`; sources keep their
    `meta.dagster.asset_key` (`raw/<entity>`), so they join up with the ingest assets."""

    def __init__(self):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "snapshot", "seed"):
            return AssetKey([dbt_resource_props["config"].get("schema") or "main", dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props["resource_type"] == "model" and len(fqn) > 2:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)
