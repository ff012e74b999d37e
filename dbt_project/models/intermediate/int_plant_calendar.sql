-- Every plant's local days as UTC instants: one row per plant and plant-local date with the UTC instants of its local
-- midnight and of the next one (a DST day is 23 or 25 hours long). The MES models find an event's plant-local day by
-- a join on these midnights instead of converting every event's time zone. The days span the MES events
-- (a day either side); a plant without a valid time zone has no days, so its events have no plant-local day.
with span as (
    select
        cast(min(first_at) as date) - 1 as first_day,
        cast(max(last_at) as date) + 1 as last_day
    from (
        select min(least(started_at, ended_at)) as first_at, max(greatest(started_at, ended_at)) as last_at
        from {{ ref('stg_mes__machine_states') }}
        union all
        select min(hour) as first_at, max(hour) as last_at
        from {{ ref('stg_mes__production_counts') }}
    )
),

days as (
    select cast(day_start as date) as day
    from span
    {{ date_series('cast(first_day as timestamp)', 'cast(last_day as timestamp)', 'day', 'series', 'day_start') }}
),

plants as (
    select distinct plant_id, timezone from {{ ref('stg_erp__plants') }}
),

midnights as (
    select
        plants.plant_id,
        days.day,
        {{ local_to_utc('cast(days.day as timestamp)', 'plants.timezone') }} as day_start_utc,
        {{ local_to_utc(shift_days('cast(days.day as timestamp)', 1, is_timestamp=true), 'plants.timezone') }}
            as day_end_utc
    from plants
    cross join days
)

select
    cast(plant_id as string) as plant_id,
    cast(day as date) as day,
    cast(day_start_utc as timestamp) as day_start_utc,
    cast(day_end_utc as timestamp) as day_end_utc
from midnights
where day_start_utc is not null
