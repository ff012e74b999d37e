-- ISO 22400-2 time components per work center × plant-local day, from the split state intervals.
-- PBT = RUNNING + SETUP + UNPLANNED_STOP; APT = RUNNING; ADOT = UNPLANNED_STOP; SUT = SETUP.
-- An UNPLANNED_STOP event is counted on the plant-local day it starts.
-- Incremental: a run recomputes the (plant, work center, day) ranges touched by this run's loads, and every day of
-- a plant whose reason catalogue or time zone changed (int_mes_load_footprint).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mes_delete_affected(['machine_states', 'plant_timezone', 'reason_catalogue'], 't.day') }}"
) }}
-- depends_on: {{ ref('int_mes_load_footprint') }}
{%- set incremental = mes_is_incremental() %}
{%- set affected_from_day = mes_affected_from_day(['machine_states', 'plant_timezone', 'reason_catalogue'])
    if incremental else none %}
with
{%- if incremental %}
ranges as (
    select * from {{ mes_affected_ranges(['machine_states', 'plant_timezone', 'reason_catalogue']) }}
),
{%- endif %}

pieces as (
    select daily.* from {{ ref('int_machine_state_daily') }} as daily
    {%- if incremental %}
    where daily.day >= {{ affected_from_day }}
    and exists (
        select 1 from ranges
        where ranges.plant_id = daily.plant_id
            and ranges.work_center_id = daily.work_center_id
            and daily.day between ranges.from_day and ranges.to_day
    )
    {%- endif %}
),

reason_catalogue as (
    select distinct plant_id, reason_code from {{ ref('stg_mes__reason_codes') }}
)

select
    pieces.plant_id,
    pieces.work_center_id,
    pieces.day,
    sum(case when pieces.state in ('RUNNING', 'SETUP', 'UNPLANNED_STOP') then pieces.duration_s else 0 end) as pbt_s,
    sum(case when pieces.state = 'RUNNING' then pieces.duration_s else 0 end) as apt_s,
    sum(case when pieces.state = 'UNPLANNED_STOP' then pieces.duration_s else 0 end) as adot_s,
    sum(case when pieces.state = 'SETUP' then pieces.duration_s else 0 end) as sut_s,
    sum(case when pieces.state = 'PLANNED_STOP' then pieces.duration_s else 0 end) as planned_stop_s,
    sum(case when pieces.state = 'NO_ORDER' then pieces.duration_s else 0 end) as no_order_s,
    sum(case when pieces.state = 'UNPLANNED_STOP' and pieces.is_interval_start_day then 1 else 0 end)
        as unplanned_stop_events,
    sum(
        case when pieces.state = 'UNPLANNED_STOP' and reason_catalogue.reason_code is not null
            then pieces.duration_s else 0 end
    ) as adot_with_valid_reason_s,
    cast('{{ invocation_id }}' as varchar) as dbt_invocation_id
from pieces
left join reason_catalogue
    on reason_catalogue.plant_id = pieces.plant_id
    and reason_catalogue.reason_code = pieces.reason_code
group by 1, 2, 3
