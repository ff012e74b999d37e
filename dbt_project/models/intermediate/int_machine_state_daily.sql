-- The counted part of every state interval, split at each plant-local midnight (ISO 22400 day = plant-local date).
-- One row per interval × plant-local day it touches; intervals spanning several days yield one row per day.
-- Durations are real elapsed seconds (a DST day has 23 or 25 hours): the local midnights are converted back to UTC
-- instants and each piece is clipped to [day start, next day start) in UTC.
-- Incremental: a run deletes and recomputes the (plant, work center, plant-local day) ranges touched by this run's
-- loads (int_mes_load_footprint), from every counted interval overlapping them (also ones that began earlier).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mes_delete_affected(['machine_states', 'plant_timezone'], 't.day') }}"
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

counted as (
    select
        plant_id,
        work_center_id,
        state,
        reason_code,
        timezone,
        started_at,
        counted_started_at,
        ended_at,
        cast({{ oee_to_plant_local('counted_started_at', 'timezone') }} as date) as first_local_day,
        cast({{ oee_to_plant_local('ended_at', 'timezone') }} - interval 1 microsecond as date) as last_local_day
    from {{ ref('int_machine_state_intervals_cleaned') }} as cleaned
    where counted_s > 0
    {%- if incremental %}
        and cleaned.ended_at > cast({{ affected_from_day }} as timestamp) - interval 1 day
        and exists (
            select 1 from ranges
            where ranges.plant_id = cleaned.plant_id
                and ranges.work_center_id = cleaned.work_center_id
                and cleaned.ended_at > cast(ranges.from_day as timestamp) - interval 1 day
                and cleaned.counted_started_at < cast(ranges.to_day as timestamp) + interval 2 day
        )
    {%- endif %}
),

pieces as (
    select
        counted.*,
        cast(unnest(generate_series(
            cast(first_local_day as timestamp), cast(last_local_day as timestamp), interval 1 day
        )) as date) as day
    from counted
),

-- Every plant's local days over the span of the intervals (a day either side), with their UTC bounds: a few
-- thousand rows from the plant master, so the intervals are read and split once (not a second time for their days).
-- The plant master is the time zone the intervals were cleaned with: a time-zone change recomputes both models.
span as (
    select cast(min(started_at) as date) - 1 as first_day, cast(max(ended_at) as date) + 1 as last_day
    from {{ ref('int_machine_state_intervals_cleaned') }}
),

day_bounds as (
    select
        plants.plant_id,
        cast(days.day_start as date) as day,
        {{ oee_plant_local_to_utc('days.day_start', 'plants.timezone') }} as day_start_utc,
        {{ oee_plant_local_to_utc('days.day_start + interval 1 day', 'plants.timezone') }} as day_end_utc
    from {{ ref('stg_erp__plants') }} as plants
    cross join span
    cross join unnest(generate_series(
        cast(span.first_day as timestamp), cast(span.last_day as timestamp), interval 1 day
    )) as days (day_start)
),

clipped as (
    select
        pieces.plant_id,
        pieces.work_center_id,
        pieces.day,
        pieces.state,
        pieces.reason_code,
        pieces.started_at,
        greatest(pieces.counted_started_at, day_bounds.day_start_utc) as piece_started_at,
        least(pieces.ended_at, day_bounds.day_end_utc) as piece_ended_at,
        pieces.counted_started_at >= day_bounds.day_start_utc as is_interval_start_day
    from pieces
    inner join day_bounds
        on day_bounds.plant_id = pieces.plant_id
        and day_bounds.day = pieces.day
)

select
    plant_id,
    work_center_id,
    day,
    state,
    reason_code,
    started_at,
    piece_started_at,
    piece_ended_at,
    {{ oee_seconds_between('piece_started_at', 'piece_ended_at') }} as duration_s,
    is_interval_start_day,
    cast('{{ invocation_id }}' as varchar) as dbt_invocation_id
from clipped
where piece_ended_at > piece_started_at
{%- if incremental %}
    and exists (
        select 1 from ranges
        where ranges.plant_id = clipped.plant_id
            and ranges.work_center_id = clipped.work_center_id
            and clipped.day between ranges.from_day and ranges.to_day
    )
{%- endif %}
