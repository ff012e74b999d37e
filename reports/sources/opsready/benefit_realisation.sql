select * from marts.benefit_realisation
