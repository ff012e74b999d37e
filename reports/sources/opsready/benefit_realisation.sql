-- Initiative × plant benefit and spend on the readiness date (marts.benefit_realisation).
select
    as_of,
    company,
    plant_id,
    initiative_id,
    initiative_name,
    technology,
    cast(wave as varchar) as wave,
    planned_annual_benefit,
    annualised_benefit,
    realisation,
    measured_months,
    spend,
    change_multiple,
    payback_months
from marts.benefit_realisation
