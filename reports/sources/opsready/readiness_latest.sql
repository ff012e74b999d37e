-- Each plant's latest verdict with the wave cells of the readiness grid; dates as text.
select
    company,
    plant_id,
    coalesce(plant_name, plant_id) as plant_name,
    strftime(as_of, '%Y-%m-%d') as as_of,
    current_wave,
    next_wave,
    verdict,
    blocked_by,
    blocking_gate,
    '/plants/' || plant_id || '/' as plant_link
from marts.plant_readiness
qualify as_of = max(as_of) over (partition by plant_id)
order by company, plant_id
