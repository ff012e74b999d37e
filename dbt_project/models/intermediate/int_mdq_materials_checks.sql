-- Master-data quality checks on the material master, one row per record × rule × as_of (passed true/false).
--   completeness: every field of mdq_required_fields('materials') present
--   validity:     base_uom in domain unit_of_measure; material_type in domain material_type
--                 (config/domains.yaml); standard_cost > 0;
--                 lead_time_days >= 0 (a missing value is a completeness failure, not a validity one)
--   uniqueness:   (plant_id, material_id) not seen before in the snapshot; normalised description + material_type +
--                 base_uom not seen before for another material of the plant (the first by material_id is the
--                 original, later ones are the duplicates)
--   timeliness:   changed_at within var('timeliness_window_days') days before as_of (missing changed_at fails)
{{ config(
    materialized=materialized_deleting_incremental(),
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mdq_delete_stale() }}"
) }}
-- Incremental by as_of (macros/mdq_incremental.sql): a night computes only the MDQ dates not yet held.
-- depends_on: {{ ref('int_mdq_input_fingerprint') }}
with rows_as_of as (
    select * from {{ ref('int_mdq_materials_as_of') }}
    where as_of in (select as_of from {{ mdq_as_of_dates() }})
),

ranked as (
    select * from rows_as_of
),

checks as (
{{ mdq_completeness_checks('materials', 'r.material_id') }}

union all
select as_of, plant_id, 'materials', record_id, material_id, 'validity', 'base_uom_allowed',
       base_uom is null or base_uom in {{ mdq_domain('unit_of_measure') }}, base_uom
from rows_as_of
union all
select as_of, plant_id, 'materials', record_id, material_id, 'validity', 'material_type_allowed',
       material_type is null or material_type in {{ mdq_domain('material_type') }}, material_type
from rows_as_of
union all
select as_of, plant_id, 'materials', record_id, material_id, 'validity', 'standard_cost_positive',
       standard_cost is null or standard_cost > 0, cast(standard_cost as string)
from rows_as_of
union all
select as_of, plant_id, 'materials', record_id, material_id, 'validity', 'lead_time_days_not_negative',
       lead_time_days is null or lead_time_days >= 0, cast(lead_time_days as string)
from rows_as_of

union all
select as_of, plant_id, 'materials', record_id, material_id, 'uniqueness', 'material_id_unique',
       key_occurrence = 1, material_id
from ranked
union all
select as_of, plant_id, 'materials', record_id, material_id, 'uniqueness', 'description_type_uom_unique',
       coalesce(description_occurrence, 1) = 1, description
from ranked

union all
select as_of, plant_id, 'materials', record_id, material_id, 'timeliness', 'changed_within_window',
       changed_at is not null
       and changed_at >= {{ shift_days('cast(as_of as timestamp)', -var('timeliness_window_days'),
                                     is_timestamp=true) }},
       cast(changed_at as string)
from rows_as_of

)

select
    checks.*,
    (select fingerprint from {{ ref('int_mdq_input_fingerprint') }}) as inputs_fingerprint
from checks
