-- Per plant: spend against annualised benefit, realisation and payback (marts.plant_roi).
select
    company,
    plant_id,
    plant_name,
    initiatives_reached,
    planned_annual_benefit,
    annualised_benefit,
    realisation,
    spend,
    measured_months,
    has_measurable_roi,
    payback_months
from marts.plant_roi
order by company, plant_id
