select * from marts.pilot_to_scale
