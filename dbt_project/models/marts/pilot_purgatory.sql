-- Pilot purgatory: pilots stalled on the readiness date (still running more than var('stalled_grace_days') past their
-- planned end), with how long they are overdue.
with pilots as (
    select * from {{ ref('int_pilot_status_as_of') }}
    where status_as_of = 'stalled'
),

plants as (
    select * from {{ ref('stg_erp__plants') }}
)

select
    cast(pilots.pilot_id as string) as pilot_id,
    cast(pilots.pilot_name as string) as pilot_name,
    cast(pilots.company as string) as company,
    cast(pilots.plant_id as string) as plant_id,
    cast(plants.plant_name as string) as plant_name,
    cast(pilots.initiative_id as string) as initiative_id,
    cast(pilots.initiative_name as string) as initiative_name,
    cast(pilots.wave as bigint) as wave,
    cast(pilots.technology as string) as technology,
    cast(pilots.scope as string) as scope,
    cast(pilots.started_on as date) as started_on,
    cast(pilots.planned_end_on as date) as planned_end_on,
    cast(pilots.status_since as date) as stalled_since,
    cast(pilots.as_of as date) as as_of,
    cast(pilots.days_past_planned_end as bigint) as days_overdue,
    cast({{ days_between('pilots.status_since', 'pilots.as_of') }} as bigint) as days_stalled
from pilots
left join plants on pilots.plant_id = plants.plant_id
