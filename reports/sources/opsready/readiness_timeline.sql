-- Each plant's wave on every evaluated date (marts.readiness_timeline, from audit.readiness_history).
select company, plant_id, as_of, current_wave, ready, blocking_gate, wave_since, blocked_since
from marts.readiness_timeline
order by plant_id, as_of
