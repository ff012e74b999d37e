select * from marts.pilot_purgatory
