-- Every MES state interval with its defect classification and the part of it that counts.
-- Defects (SPEC §4: overlapping or negative intervals are defects; nothing is double counted):
--   negative_duration  ended_at < started_at            → excluded (0 s counted)
--   zero_duration      ended_at = started_at            → excluded (0 s, harmless)
--   unknown_plant      plant not in the plant master    → excluded (no time zone, no plant-local day)
--   overlap_clipped    starts before an earlier interval of the same work center has ended
--                      → its start is moved to that end (the earlier-starting interval keeps the time)
--   overlap_excluded   lies entirely inside earlier intervals → excluded (0 s counted)
-- Intervals are ordered by (started_at, ended_at, state, reason_code); identical rows re-delivered in
-- two extracts therefore count once (the second copy is overlap_excluded).
-- Incremental (delete+insert of affected ranges, see int_mes_load_footprint): a run recomputes the intervals of the
-- (plant, work center) whose start falls in a UTC day range touched by this run's loads; the running maximum of
-- earlier ends is carried in from the intervals before the range, so the result equals a full rebuild.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mes_delete_affected(['machine_states', 'plant_timezone'], 'cast(t.started_at as date)') }}"
) }}
-- depends_on: {{ ref('int_mes_load_footprint') }}
{%- set incremental = mes_is_incremental() %}
{%- set affected_from_day = mes_affected_from_day(['machine_states', 'plant_timezone']) if incremental else none %}
with
{%- if incremental %}
ranges as (
    select * from {{ mes_affected_ranges(['machine_states', 'plant_timezone']) }}
),
{%- endif %}

states_all as (
    select
        plant_id,
        work_center_id,
        started_at,
        ended_at,
        state,
        reason_code,
        source_system,
        extract_date
    from {{ ref('stg_mes__machine_states') }}
),

states as (
    select states_all.*{% if incremental %}, ranges.from_day{% endif %}
    from states_all
    {%- if incremental %}
    inner join ranges
        on ranges.plant_id = states_all.plant_id
        and ranges.work_center_id = states_all.work_center_id
        and cast(states_all.started_at as date) between ranges.from_day and ranges.to_day
    where states_all.started_at >= cast({{ affected_from_day }} as timestamp)
    {%- endif %}
),
{%- if incremental %}

-- the latest end among the work center's positive intervals that start before the range (they all sort first).
-- Only ends after the range start can move a start inside the range (an earlier end is <= every start in it), so
-- intervals ending before it are left out: the same result, and the zone maps skip the older history.
carry_in as (
    select ranges.plant_id, ranges.work_center_id, ranges.from_day, max(states_all.ended_at) as carried_max_ended_at
    from ranges
    inner join states_all
        on states_all.plant_id = ranges.plant_id
        and states_all.work_center_id = ranges.work_center_id
        and states_all.started_at < cast(ranges.from_day as timestamp)
        and states_all.ended_at > cast(ranges.from_day as timestamp)
        and states_all.ended_at > states_all.started_at
    where states_all.ended_at > cast({{ affected_from_day }} as timestamp)
    group by 1, 2, 3
),
{%- endif %}

plants as (
    select plant_id, timezone from {{ ref('stg_erp__plants') }}
),

-- One pass over every interval in work-center order: the running maximum counts only positive intervals' ends (a
-- negative or zero one moves nothing), and every interval gets its defect in the same pass (no second scan).
in_order as (
    select
        states.*,
        max(case when ended_at > started_at then ended_at end) over (
            partition by plant_id, work_center_id
            order by started_at, ended_at, state, reason_code
            rows between unbounded preceding and 1 preceding
        ) as window_max_ended_at
    from states
),

with_previous as (
    select
        in_order.*,
        {%- if incremental %}
        case
            when carry_in.carried_max_ended_at is null then window_max_ended_at
            when window_max_ended_at is null then carry_in.carried_max_ended_at
            else greatest(window_max_ended_at, carry_in.carried_max_ended_at)
        end as previous_max_ended_at
        {%- else %}
        window_max_ended_at as previous_max_ended_at
        {%- endif %}
    from in_order
    {%- if incremental %}
    left join carry_in
        on carry_in.plant_id = in_order.plant_id
        and carry_in.work_center_id = in_order.work_center_id
        and carry_in.from_day = in_order.from_day
    {%- endif %}
),

all_intervals as (
    select
        plant_id, work_center_id, started_at, ended_at, state, reason_code, source_system, extract_date,
        case
            when not (ended_at > started_at) then ended_at
            when previous_max_ended_at is null or previous_max_ended_at <= started_at then started_at
            when previous_max_ended_at >= ended_at then ended_at
            else previous_max_ended_at
        end as counted_started_at,
        case
            when ended_at < started_at then 'negative_duration'
            when ended_at = started_at then 'zero_duration'
            when previous_max_ended_at >= ended_at then 'overlap_excluded'
            when previous_max_ended_at > started_at then 'overlap_clipped'
        end as overlap_defect
    from with_previous
)

select
    all_intervals.plant_id,
    all_intervals.work_center_id,
    all_intervals.started_at,
    all_intervals.ended_at,
    all_intervals.state,
    all_intervals.reason_code,
    all_intervals.source_system,
    all_intervals.extract_date,
    plants.timezone,
    all_intervals.counted_started_at,
    case when plants.plant_id is null then 'unknown_plant' else all_intervals.overlap_defect end as defect_type,
    case
        when plants.plant_id is null then 0
        when all_intervals.counted_started_at >= all_intervals.ended_at then 0
        else {{ oee_seconds_between('all_intervals.counted_started_at', 'all_intervals.ended_at') }}
    end as counted_s,
    {{ oee_seconds_between('all_intervals.started_at', 'all_intervals.ended_at') }} as recorded_s,
    cast('{{ invocation_id }}' as varchar) as dbt_invocation_id
from all_intervals
left join plants on plants.plant_id = all_intervals.plant_id
