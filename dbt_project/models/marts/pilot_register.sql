-- The pilot register as of the readiness date (macro as_of_date()): every pilot started on or before it, with its
-- initiative, its status that day (SPEC §4: the last status-log entry on or before it; a running pilot more than
-- var('stalled_grace_days') past its planned end is stalled) and how many days it is past its planned end while
-- still running. The report lists it per plant; names are shown exactly as the register holds them.
with pilots as (
    select * from {{ ref('int_pilot_status_as_of') }}
)

select
    cast(pilot_id as string) as pilot_id,
    cast(as_of as date) as as_of,
    cast(company as string) as company,
    cast(plant_id as string) as plant_id,
    cast(pilot_name as string) as pilot_name,
    cast(initiative_id as string) as initiative_id,
    cast(initiative_name as string) as initiative_name,
    cast(technology as string) as technology,
    cast(wave as bigint) as wave,
    cast(scope as string) as scope,
    cast(started_on as date) as started_on,
    cast(planned_end_on as date) as planned_end_on,
    cast(status_as_of as string) as status,
    cast(status_since as date) as status_since,
    cast(
        case
            when status_as_of in ('running', 'stalled') and as_of > planned_end_on
                then {{ days_between('planned_end_on', 'as_of') }}
        end as bigint
    ) as days_overdue
from pilots
