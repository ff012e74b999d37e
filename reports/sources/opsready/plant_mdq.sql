select * from marts.plant_mdq
