select * from marts.initiative_hygiene
