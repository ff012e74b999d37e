select * from marts.readiness_criteria
