select company, plant_id, as_of, current_wave, next_wave, ready, blocking_gate
from marts.plant_readiness
