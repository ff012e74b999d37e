select
    grain,
    grain_value,
    company,
    as_of,
    pilots_started,
    pilots_concluded,
    pilots_scaled,
    pilots_stopped,
    pilots_stalled,
    pilots_running,
    pilot_to_scale_rate,
    tier
from marts.pilot_to_scale
