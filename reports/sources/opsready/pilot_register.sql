-- Every pilot with its status on the readiness date (marts.pilot_register); names exactly as registered.
select
    pilot_id,
    as_of,
    company,
    plant_id,
    pilot_name,
    initiative_id,
    initiative_name,
    technology,
    cast(wave as varchar) as wave,
    scope,
    started_on,
    planned_end_on,
    status,
    days_overdue
from marts.pilot_register
order by plant_id, started_on, pilot_id
