-- Benefit realisation per initiative × plant as of the readiness date (SPEC §4).
--   annualised_benefit  = sum of monthly realised benefit over the trailing twelve months ending in as_of's month
--                         (0 when nothing was measured in that window)
--   planned_annual_benefit = the initiative's planned benefit shared equally among the plants it has reached
--   realisation         = annualised_benefit / planned_annual_benefit
--   change_multiple     = (integration + change_management + training) / license spend
--   payback_months      = spend / (annualised_benefit / 12), only while the annualised benefit is positive
with as_of as (
    select
        {{ as_of_date() }} as as_of
),

window_bounds as (
    select
        as_of,
        {{ shift_months("date_trunc('month', as_of)", -11) }} as ttm_first_month
    from as_of
),

reach as (
    select * from {{ ref('int_initiative_plants') }}
),

initiatives as (
    select * from {{ ref('stg_pilots__initiatives') }}
),

plants as (
    select * from {{ ref('stg_erp__plants') }}
),

benefit as (
    select
        monthly.initiative_id,
        monthly.plant_id,
        sum(monthly.monthly_realised_benefit) filter (where monthly.month >= window_bounds.ttm_first_month)
            as ttm_benefit,
        count(monthly.monthly_realised_benefit) as measured_months,
        count(monthly.monthly_realised_benefit) filter (where monthly.month >= window_bounds.ttm_first_month)
            as measured_months_ttm,
        max(monthly.month) filter (where monthly.monthly_realised_benefit is not null) as latest_measured_month
    from {{ ref('int_benefit_monthly') }} as monthly
    cross join window_bounds
    where monthly.month <= window_bounds.as_of
    group by monthly.initiative_id, monthly.plant_id
),

spend as (
    select
        initiative_id,
        plant_id,
        sum(spend) as spend,
        sum(spend) filter (where category = 'license') as license_spend,
        sum(spend) filter (where category in ('integration', 'change_management', 'training')) as change_spend
    from {{ ref('int_spend_initiative_plant') }}
    where plant_id is not null
    group by initiative_id, plant_id
),

joined as (
    select
        window_bounds.as_of,
        coalesce(initiatives.company, plants.company) as company,
        reach.plant_id,
        reach.initiative_id,
        initiatives.name as initiative_name,
        initiatives.technology,
        initiatives.wave,
        reach.plants_reached,
        initiatives.planned_annual_benefit / reach.plants_reached as planned_annual_benefit,
        coalesce(benefit.ttm_benefit, 0.0) as annualised_benefit,
        coalesce(benefit.measured_months, 0) as measured_months,
        coalesce(benefit.measured_months_ttm, 0) as measured_months_ttm,
        benefit.latest_measured_month,
        coalesce(spend.spend, 0.0) as spend,
        coalesce(spend.license_spend, 0.0) as license_spend,
        coalesce(spend.change_spend, 0.0) as change_spend
    from reach
    cross join window_bounds
    left join initiatives on reach.initiative_id = initiatives.initiative_id
    left join plants on reach.plant_id = plants.plant_id
    left join benefit on reach.initiative_id = benefit.initiative_id and reach.plant_id = benefit.plant_id
    left join spend on reach.initiative_id = spend.initiative_id and reach.plant_id = spend.plant_id
)

select
    cast(as_of as date) as as_of,
    cast(company as string) as company,
    cast(plant_id as string) as plant_id,
    cast(initiative_id as string) as initiative_id,
    cast(initiative_name as string) as initiative_name,
    cast(technology as string) as technology,
    cast(wave as bigint) as wave,
    cast(plants_reached as bigint) as plants_reached,
    cast(planned_annual_benefit as double) as planned_annual_benefit,
    cast(annualised_benefit as double) as annualised_benefit,
    cast({{ safe_divide('annualised_benefit', 'planned_annual_benefit') }} as double) as realisation,
    cast(case
        when planned_annual_benefit is null then 'no planned benefit in the register'
        when planned_annual_benefit = 0 then 'planned benefit is zero'
    end as string) as realisation_null_reason,
    cast(measured_months as bigint) as measured_months,
    cast(measured_months_ttm as bigint) as measured_months_ttm,
    cast(latest_measured_month as date) as latest_measured_month,
    cast(spend as double) as spend,
    cast(license_spend as double) as license_spend,
    cast(change_spend as double) as change_spend,
    cast({{ safe_divide('change_spend', 'license_spend') }} as double) as change_multiple,
    cast(case when annualised_benefit > 0 then spend / (annualised_benefit / 12) end as double) as payback_months,
    cast(case
        when annualised_benefit <= 0 then 'no positive benefit in the trailing twelve months'
    end as string) as payback_null_reason
from joined
