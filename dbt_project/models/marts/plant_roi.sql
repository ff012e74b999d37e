-- Per plant: does it show measurable ROI as of the readiness date? (SPEC §4: >= 3 measured benefit months and a
-- positive annualised benefit, summed over the initiatives at the plant.) Every plant of the master is listed.
with plants as (
    select * from {{ ref('stg_erp__plants') }}
),

as_of as (
    select {{ as_of_date() }} as as_of
),

by_plant as (
    select
        plant_id,
        count(*) as initiatives_reached,
        sum(planned_annual_benefit) as planned_annual_benefit,
        sum(annualised_benefit) as annualised_benefit,
        sum(spend) as spend
    from {{ ref('benefit_realisation') }}
    group by plant_id
),

months as (
    -- distinct months with any measured benefit at the plant, whichever initiative
    select monthly.plant_id, count(distinct monthly.month) as measured_months
    from {{ ref('int_benefit_monthly') }} as monthly, as_of
    where monthly.month <= as_of.as_of and monthly.monthly_realised_benefit is not null
    group by monthly.plant_id
),

joined as (
    select
        as_of.as_of,
        plants.company,
        plants.plant_id,
        plants.plant_name,
        coalesce(by_plant.initiatives_reached, 0) as initiatives_reached,
        by_plant.planned_annual_benefit,
        coalesce(by_plant.annualised_benefit, 0.0) as annualised_benefit,
        coalesce(by_plant.spend, 0.0) as spend,
        coalesce(months.measured_months, 0) as measured_months
    from plants
    cross join as_of
    left join by_plant on plants.plant_id = by_plant.plant_id
    left join months on plants.plant_id = months.plant_id
)

select
    cast(as_of as date) as as_of,
    cast(company as string) as company,
    cast(plant_id as string) as plant_id,
    cast(plant_name as string) as plant_name,
    cast(initiatives_reached as bigint) as initiatives_reached,
    cast(planned_annual_benefit as double) as planned_annual_benefit,
    cast(annualised_benefit as double) as annualised_benefit,
    cast({{ safe_divide('annualised_benefit', 'planned_annual_benefit') }} as double) as realisation,
    cast(spend as double) as spend,
    cast(measured_months as bigint) as measured_months,
    cast(measured_months >= 3 and annualised_benefit > 0 as boolean) as has_measurable_roi,
    cast(case when annualised_benefit > 0 then spend / (annualised_benefit / 12) end as double) as payback_months
from joined
