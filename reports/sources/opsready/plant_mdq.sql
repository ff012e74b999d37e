select company, plant_id, as_of, completeness, validity, uniqueness, consistency, timeliness, mdq_score
from marts.plant_mdq
