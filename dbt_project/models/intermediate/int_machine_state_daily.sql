-- The counted part of every state interval, split at each plant-local midnight (ISO 22400 day = plant-local date).
-- One row per interval × plant-local day it touches; intervals spanning several days yield one row per day.
-- Durations are real elapsed seconds (a DST day has 23 or 25 hours): the local midnights are converted back to UTC
-- instants and each piece is clipped to [day start, next day start) in UTC.
with counted as (
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
    from {{ ref('int_machine_state_intervals_cleaned') }}
    where counted_s > 0
),

pieces as (
    select
        counted.*,
        cast(unnest(generate_series(
            cast(first_local_day as timestamp), cast(last_local_day as timestamp), interval 1 day
        )) as date) as day
    from counted
),

plant_days as (
    select distinct plant_id, timezone, day from pieces
),

day_bounds as (
    select
        plant_id,
        day,
        {{ oee_plant_local_to_utc('cast(day as timestamp)', 'timezone') }} as day_start_utc,
        {{ oee_plant_local_to_utc('cast(day as timestamp) + interval 1 day', 'timezone') }} as day_end_utc
    from plant_days
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
    is_interval_start_day
from clipped
where piece_ended_at > piece_started_at
