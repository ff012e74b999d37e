-- Checked and passing rows per as_of × plant × entity and dimension (columns per dimension); the shares and the
-- MDQ score are computed from them in int_mdq_scores.
-- Incremental by as_of (macros/mdq_incremental.sql): a night computes only the MDQ dates not yet held.
{{ config(
    materialized=materialized_deleting_incremental(),
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mdq_delete_stale() }}"
) }}
-- depends_on: {{ ref('int_mdq_input_fingerprint') }}
{%- set dimensions = ['completeness', 'validity', 'uniqueness', 'consistency', 'timeliness'] %}
select
    as_of,
    plant_id,
    entity,
    count(distinct record_id) as records,
    {%- for d in dimensions %}
    count(*) filter (where dimension = '{{ d }}') as {{ d }}_checked_rows,
    count(*) filter (where dimension = '{{ d }}' and passed) as {{ d }}_passing_rows,
    {%- endfor %}
    (select fingerprint from {{ ref('int_mdq_input_fingerprint') }}) as inputs_fingerprint
from {{ ref('int_mdq_record_dimensions') }}
where as_of in (select as_of from {{ mdq_as_of_dates() }})
group by 1, 2, 3
