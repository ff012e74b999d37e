-- Master-data quality checks on the bill of materials, one row per record × rule × as_of.
--   completeness: mdq_required_fields('bom'); validity: quantity > 0, uom in domain unit_of_measure (config/domains.yaml);
--   uniqueness: (plant, parent, component) not seen before in the snapshot;
--   consistency: parent and component exist in the plant's material master of the same as_of, and the BOM uom
--   equals the component's base_uom.
{{ config(
    materialized=materialized_deleting_incremental(),
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mdq_delete_stale() }}"
) }}
-- Incremental by as_of (macros/mdq_incremental.sql): a night computes only the MDQ dates not yet held.
-- depends_on: {{ ref('int_mdq_input_fingerprint') }}
with rows_as_of as (
    {{ mdq_snapshot_as_of('stg_erp__bom_history') }}
),

materials as (
    select as_of, plant_id, material_id, min(base_uom) as base_uom
    from ({{ mdq_snapshot_as_of('stg_erp__materials_history') }}) as m
    group by 1, 2, 3
),

joined as (
    select
        rows_as_of.*,
        rows_as_of.parent_material_id || ' > ' || rows_as_of.component_material_id as bom_key,
        parent.material_id is not null as parent_exists,
        component.material_id is not null as component_exists,
        component.base_uom as component_base_uom,
        row_number() over (
            partition by rows_as_of.as_of, rows_as_of.plant_id, rows_as_of.parent_material_id,
                rows_as_of.component_material_id
            order by rows_as_of.record_id
        ) as key_occurrence
    from rows_as_of
    left join materials as parent
        on parent.as_of = rows_as_of.as_of and parent.plant_id = rows_as_of.plant_id
        and parent.material_id = rows_as_of.parent_material_id
    left join materials as component
        on component.as_of = rows_as_of.as_of and component.plant_id = rows_as_of.plant_id
        and component.material_id = rows_as_of.component_material_id
),

checks as (
{{ mdq_completeness_checks('bom', "r.parent_material_id || ' > ' || r.component_material_id") }}

union all
select as_of, plant_id, 'bom', record_id, bom_key, 'validity', 'quantity_positive',
       quantity is null or quantity > 0, cast(quantity as string)
from joined
union all
select as_of, plant_id, 'bom', record_id, bom_key, 'validity', 'uom_allowed',
       uom is null or uom in {{ mdq_domain('unit_of_measure') }}, uom
from joined
union all
select as_of, plant_id, 'bom', record_id, bom_key, 'uniqueness', 'bom_line_unique', key_occurrence = 1, bom_key
from joined
union all
select as_of, plant_id, 'bom', record_id, bom_key, 'consistency', 'parent_in_material_master',
       parent_exists, parent_material_id
from joined
union all
select as_of, plant_id, 'bom', record_id, bom_key, 'consistency', 'component_in_material_master',
       component_exists, component_material_id
from joined
union all
select as_of, plant_id, 'bom', record_id, bom_key, 'consistency', 'uom_matches_component_base_uom',
       uom is null or component_base_uom is null or uom = component_base_uom,
       uom || ' vs ' || component_base_uom
from joined

)

select
    checks.*,
    (select fingerprint from {{ ref('int_mdq_input_fingerprint') }}) as inputs_fingerprint
from checks
