-- One row per as_of × plant × entity × record × dimension: the record passes a dimension when it passes every
-- rule of that dimension. These are the "checked rows" the MDQ shares count.
-- Incremental by as_of (macros/mdq_incremental.sql): a night computes only the MDQ dates not yet held.
{{ config(
    materialized=materialized_deleting_incremental(),
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mdq_delete_stale() }}"
) }}
-- depends_on: {{ ref('int_mdq_input_fingerprint') }}
select
    checks.as_of,
    checks.plant_id,
    checks.entity,
    checks.record_id,
    checks.dimension,
    bool_and(checks.passed) as passed,
    (select fingerprint from {{ ref('int_mdq_input_fingerprint') }}) as inputs_fingerprint
from {{ ref('int_mdq_checks') }} as checks
inner join {{ mdq_as_of_dates() }} as dates on dates.as_of = checks.as_of
group by 1, 2, 3, 4, 5
