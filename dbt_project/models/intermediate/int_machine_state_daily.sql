-- Counted seconds and started intervals per work center × plant-local day × state × reason code, in one pass from the
-- typed MES state intervals. The overlap rule (macro mes_counted_pieces) and the day split are documented in
-- int_machine_state_daily.yml.
-- Incremental: a run deletes and recomputes the (plant, work center, plant-local day) ranges touched by this run's
-- loads or by a plant's time-zone change (int_mes_load_footprint), from the intervals that can reach those days.
{%- set affected = ['machine_states', 'plant_timezone'] %}
{{ config(
    materialized=materialized_deleting_incremental(),
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mes_delete_affected(" ~ affected ~ ", 't.day') }}"
) }}
-- depends_on: {{ ref('int_mes_load_footprint') }}
{%- set incremental = mes_is_incremental() %}
{%- set affected_from_day = mes_affected_from_day(affected) if incremental else none %}
with
{%- if incremental %}
ranges as (
    select * from {{ mes_affected_ranges(affected) }}
),
{%- endif %}

-- Positive intervals only: a negative or zero one counts nothing and cuts nothing. A plant-local day lies within
-- UTC [day - 1, day + 2), so the intervals reaching a range's days are those ending after from_day - 1 and starting
-- before to_day + 2; no interval left out covers an instant of those days, so the rule gives what a full build gives.
-- A subquery read where used, not a CTE: a CTE read three times would be written out (all intervals) first.
{%- set intervals %}
    (
        select
            states.plant_id,
            states.work_center_id,
            states.started_at,
            states.ended_at,
            states.state,
            states.reason_code
        from {{ ref('stg_mes__machine_states') }} as states
        where states.ended_at > states.started_at
        {%- if incremental %}
            and states.ended_at > {{ shift_days('cast(' ~ affected_from_day ~ ' as timestamp)', -1, is_timestamp=true) }}
            and exists (
                select 1 from ranges
                where ranges.plant_id = states.plant_id
                    and ranges.work_center_id = states.work_center_id
                    and states.ended_at > {{ shift_days('cast(ranges.from_day as timestamp)', -1, is_timestamp=true) }}
                    and states.started_at < {{ shift_days('cast(ranges.to_day as timestamp)', 2, is_timestamp=true) }}
            )
        {%- endif %}
    )
{%- endset %}

-- Where the overlap rule can act, found without sorting every interval by the rule's full order. First, in one
-- narrow pass in time order, the intervals a later one starts inside: the next start falls before the end (of
-- intervals with the same start and end, each but the last in this order finds its twin).
overlapped as (
    select plant_id, work_center_id, started_at, ended_at
    from (
        select
            plant_id,
            work_center_id,
            started_at,
            ended_at,
            lead(started_at) over (
                partition by plant_id, work_center_id order by started_at, ended_at
            ) as next_started_at
        from {{ intervals }} as intervals
    ) as neighbours
    where next_started_at < ended_at
),

-- Then those spans merged per work center into disjoint islands [island_start, island_end). An interval the rule
-- cuts, and every interval that cuts one, starts inside an island; every other interval is neither cut nor cuts and
-- counts whole.
overlap_chains as (
    select
        overlapped.*,
        max(ended_at) over (
            partition by plant_id, work_center_id order by started_at, ended_at
            rows between unbounded preceding and 1 preceding
        ) as earlier_ended_at
    from overlapped
),

overlap_islands as (
    select plant_id, work_center_id, min(started_at) as island_start, max(ended_at) as island_end
    from (
        select
            overlap_chains.*,
            sum(case when earlier_ended_at > started_at then 0 else 1 end) over (
                partition by plant_id, work_center_id order by started_at, ended_at rows unbounded preceding
            ) as island
        from overlap_chains
    ) as chained
    group by plant_id, work_center_id, island
),

{#- an interval belongs to the island it starts in: the rule runs on these, every other interval counts whole #}
{%- set starts_in_island -%}
    on islands.plant_id = intervals.plant_id
        and islands.work_center_id = intervals.work_center_id
        and intervals.started_at >= islands.island_start
        and intervals.started_at < islands.island_end
{%- endset %}

-- The intervals inside the islands in the rule's order: numbering and next start among these alone give what they
-- give among all intervals (a cut interval's next one cuts it, so it is inside the island too).
ordered as (
    select
        intervals.plant_id,
        intervals.work_center_id,
        intervals.started_at,
        intervals.ended_at,
        intervals.state,
        intervals.reason_code,
        row_number() over work_center_order as interval_seq,
        lead(intervals.started_at) over work_center_order as next_started_at
    from {{ intervals }} as intervals
    inner join overlap_islands as islands
        {{ starts_in_island }}
    window work_center_order as (
        partition by intervals.plant_id, intervals.work_center_id
        order by intervals.started_at, intervals.ended_at, intervals.state, intervals.reason_code
    )
),

pieces as (
    select
        intervals.plant_id, intervals.work_center_id, intervals.state, intervals.reason_code, intervals.started_at,
        intervals.started_at as piece_started_at, intervals.ended_at as piece_ended_at
    from {{ intervals }} as intervals
    left join overlap_islands as islands
        {{ starts_in_island }}
    where islands.plant_id is null
    union all
    select plant_id, work_center_id, state, reason_code, started_at, piece_started_at, piece_ended_at
    from {{ mes_counted_pieces('ordered') }} as counted
),

-- The plant-local day each piece starts on: the one whose local midnights enclose its start.
located as (
    select pieces.*, calendar.day, calendar.day_start_utc, calendar.day_end_utc
    from pieces
    inner join {{ plant_days_by_utc_date() }} as calendar
        on calendar.plant_id = pieces.plant_id
        and calendar.utc_date = cast(pieces.piece_started_at as date)
        and pieces.piece_started_at >= calendar.day_start_utc
        and pieces.piece_started_at < calendar.day_end_utc
),

day_pieces as (
    select plant_id, work_center_id, day, state, reason_code, started_at, piece_started_at, piece_ended_at
    from located
    where piece_ended_at <= day_end_utc
    union all
    -- a piece past its first day's end: one part per local day it touches (a local day is at least 23 hours)
    select
        located.plant_id, located.work_center_id, calendar.day, located.state, located.reason_code,
        located.started_at,
        greatest(located.piece_started_at, calendar.day_start_utc),
        least(located.piece_ended_at, calendar.day_end_utc)
    from (
        select located.*, located.day + touched_offset as touched_day
        from (
            select located.*, {{ row_per_offset(
                "ceil((" ~ seconds_between('located.day_start_utc', 'located.piece_ended_at') ~ ") / 82800)") }}
                as touched_offset
            from located
            where located.piece_ended_at > located.day_end_utc
        ) as located
    ) as located
    inner join {{ ref('int_plant_calendar') }} as calendar
        on calendar.plant_id = located.plant_id
        and calendar.day = located.touched_day
    where calendar.day_start_utc < located.piece_ended_at
)

select
    cast(plant_id as string) as plant_id,
    cast(work_center_id as string) as work_center_id,
    cast(day as date) as day,
    cast(state as string) as state,
    cast(reason_code as string) as reason_code,
    cast(sum({{ seconds_between('piece_started_at', 'piece_ended_at') }}) as double) as duration_s,
    cast(count(*) filter (where piece_started_at = started_at) as bigint) as interval_starts,
    cast('{{ invocation_id }}' as string) as dbt_invocation_id
from day_pieces
{%- if incremental %}
where exists (
    select 1 from ranges
    where ranges.plant_id = day_pieces.plant_id
        and ranges.work_center_id = day_pieces.work_center_id
        and day_pieces.day between ranges.from_day and ranges.to_day
)
{%- endif %}
group by plant_id, work_center_id, day, state, reason_code
