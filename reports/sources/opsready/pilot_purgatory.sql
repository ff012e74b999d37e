-- Stalled pilots on the readiness date (marts.pilot_purgatory), longest overdue first.
select
    pilot_id,
    pilot_name,
    company,
    plant_id,
    initiative_id,
    initiative_name,
    technology,
    cast(wave as varchar) as wave,
    started_on,
    planned_end_on,
    as_of,
    days_overdue
from marts.pilot_purgatory
order by days_overdue desc, pilot_id
