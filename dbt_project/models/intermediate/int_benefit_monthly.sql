-- Monthly realised benefit per initiative × plant × month (SPEC §4):
--   improvement = baseline − measured for lower_is_better, measured − baseline for higher_is_better;
--   monthly realised benefit = improvement × value_per_unit × volume (null when any factor is missing).
with benefit_log as (
    select * from {{ ref('stg_pilots__benefit_log') }}
),

plants as (
    select plant_id, company from {{ ref('stg_erp__plants') }}
),

improved as (
    select
        benefit_log.*,
        -- the plant's company from the current plants master (null for a plant the master lacks)
        plants.company,
        case benefit_log.direction
            when 'lower_is_better' then baseline_value - measured_value
            when 'higher_is_better' then measured_value - baseline_value
        end as improvement
    from benefit_log
    left join plants on plants.plant_id = benefit_log.plant_id
)

select
    initiative_id,
    plant_id,
    company,
    month,
    kpi,
    direction,
    baseline_value,
    measured_value,
    improvement,
    value_per_unit,
    volume,
    improvement * value_per_unit * volume as monthly_realised_benefit
from improved
