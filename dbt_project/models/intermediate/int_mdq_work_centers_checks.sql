-- Master-data quality checks on work centers, one row per record × rule × as_of.
--   completeness: mdq_required_fields('work_centers'); validity: ideal_cycle_time_s > 0, criticality in domain criticality (config/domains.yaml);
--   uniqueness: work_center_id not seen before in the snapshot.
{{ config(
    materialized=materialized_deleting_incremental(),
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mdq_delete_stale() }}"
) }}
-- Incremental by as_of (macros/mdq_incremental.sql): a night computes only the MDQ dates not yet held.
-- depends_on: {{ ref('int_mdq_input_fingerprint') }}
with rows_as_of as (
    {{ mdq_snapshot_as_of('stg_erp__work_centers_history') }}
),

ranked as (
    select
        rows_as_of.*,
        row_number() over (partition by as_of, work_center_id order by record_id) as key_occurrence
    from rows_as_of
),

checks as (
{{ mdq_completeness_checks('work_centers', 'r.work_center_id') }}

union all
select as_of, plant_id, 'work_centers', record_id, work_center_id, 'validity', 'ideal_cycle_time_positive',
       ideal_cycle_time_s is null or ideal_cycle_time_s > 0, cast(ideal_cycle_time_s as string)
from ranked
union all
select as_of, plant_id, 'work_centers', record_id, work_center_id, 'validity', 'criticality_allowed',
       criticality is null or criticality in {{ mdq_domain('criticality') }}, criticality
from ranked
union all
select as_of, plant_id, 'work_centers', record_id, work_center_id, 'uniqueness', 'work_center_id_unique',
       key_occurrence = 1, work_center_id
from ranked

)

select
    checks.*,
    (select fingerprint from {{ ref('int_mdq_input_fingerprint') }}) as inputs_fingerprint
from checks
