-- Master-data quality checks on equipment, one row per record × rule × as_of.
--   completeness: mdq_required_fields('equipment'); validity: criticality in domain criticality (config/domains.yaml),
--   install_date not after as_of; uniqueness: equipment_id not seen before in the snapshot;
--   consistency: the equipment's work center exists in the plant's work-center master of the same as_of.
{{ config(
    materialized=materialized_deleting_incremental(),
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mdq_delete_stale() }}"
) }}
-- Incremental by as_of (macros/mdq_incremental.sql): a night computes only the MDQ dates not yet held.
-- depends_on: {{ ref('int_mdq_input_fingerprint') }}
with rows_as_of as (
    {{ mdq_snapshot_as_of('stg_erp__equipment_history') }}
),

work_centers as (
    select distinct as_of, plant_id, work_center_id
    from ({{ mdq_snapshot_as_of('stg_erp__work_centers_history') }}) as w
),

joined as (
    select
        rows_as_of.*,
        work_centers.work_center_id is not null as work_center_exists,
        row_number() over (
            partition by rows_as_of.as_of, rows_as_of.equipment_id order by rows_as_of.record_id
        ) as key_occurrence
    from rows_as_of
    left join work_centers
        on work_centers.as_of = rows_as_of.as_of and work_centers.plant_id = rows_as_of.plant_id
        and work_centers.work_center_id = rows_as_of.work_center_id
),

checks as (
{{ mdq_completeness_checks('equipment', 'r.equipment_id') }}

union all
select as_of, plant_id, 'equipment', record_id, equipment_id, 'validity', 'criticality_allowed',
       criticality is null or criticality in {{ mdq_domain('criticality') }}, criticality
from joined
union all
select as_of, plant_id, 'equipment', record_id, equipment_id, 'validity', 'install_date_not_future',
       install_date is null or install_date <= as_of, cast(install_date as string)
from joined
union all
select as_of, plant_id, 'equipment', record_id, equipment_id, 'uniqueness', 'equipment_id_unique',
       key_occurrence = 1, equipment_id
from joined
union all
select as_of, plant_id, 'equipment', record_id, equipment_id, 'consistency', 'work_center_in_master',
       work_center_id is null or work_center_exists, work_center_id
from joined

)

select
    checks.*,
    (select fingerprint from {{ ref('int_mdq_input_fingerprint') }}) as inputs_fingerprint
from checks
