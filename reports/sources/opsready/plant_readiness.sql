select * from marts.plant_readiness
