-- One row per pilot started on or before the readiness date (macro as_of_date()): its status that day
-- (from int_pilot_status_intervals) with the dimensions the funnel is cut by.
with as_of as (
    select {{ as_of_date() }} as as_of
),

pilots as (
    select * from {{ ref('stg_pilots__pilots') }}
),

initiatives as (
    select * from {{ ref('stg_pilots__initiatives') }}
),

intervals as (
    select * from {{ ref('int_pilot_status_intervals') }}
),

plants as (
    select plant_id, company from {{ ref('stg_erp__plants') }}
)

select
    pilots.pilot_id,
    pilots.pilot_name,
    pilots.initiative_id,
    initiatives.name as initiative_name,
    -- the register's company for the initiative; the plant's company when the initiative is unknown
    coalesce(initiatives.company, plants.company) as company,
    pilots.plant_id,
    initiatives.wave,
    initiatives.technology,
    pilots.scope,
    pilots.work_center_id,
    pilots.started_on,
    cast(year(pilots.started_on) as bigint) as start_year,
    pilots.planned_end_on,
    pilots.planned_end_on + {{ var('stalled_grace_days') }} as grace_ends_on,
    as_of.as_of,
    intervals.status as status_as_of,
    intervals.logged_status as logged_status_as_of,
    intervals.valid_from as status_since,
    coalesce(intervals.is_concluded, false) as is_concluded,
    case when intervals.status = 'stalled' then {{ days_between('pilots.planned_end_on', 'as_of.as_of') }} end
        as days_past_planned_end
from pilots
cross join as_of
left join initiatives on pilots.initiative_id = initiatives.initiative_id
left join plants on plants.plant_id = pilots.plant_id
left join intervals
    on pilots.pilot_id = intervals.pilot_id
    and intervals.valid_from <= as_of.as_of
    and (intervals.valid_to is null or as_of.as_of < intervals.valid_to)
where pilots.started_on <= as_of.as_of
