-- Each plant's verdict on each readiness date: 'can advance' | 'blocked' | 'at top wave', and what blocks it
-- (labels of the next gate's failed or not-evaluated criteria), from marts.plant_readiness.
select
    company,
    plant_id,
    plant_name,
    as_of,
    current_wave,
    next_wave,
    ready,
    blocking_gate,
    verdict,
    blocked_by
from marts.plant_readiness
