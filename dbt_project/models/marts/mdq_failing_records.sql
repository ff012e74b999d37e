-- Every master-data record failing a quality rule on the readiness date: the data steward's work list.
-- One row per record × failing rule.
select
    cast(plants.company as string) as company,
    cast(checks.plant_id as string) as plant_id,
    cast(checks.entity as string) as entity,
    cast(checks.record_key as string) as record_key,
    cast(checks.dimension as string) as dimension,
    cast(checks.rule as string) as rule,
    cast(checks.failing_value as string) as failing_value,
    cast(checks.record_id as string) as record_id,
    cast(checks.as_of as date) as as_of
from {{ ref('int_mdq_checks') }} as checks
inner join {{ ref('int_mdq_as_of_dates') }} as as_of_dates
    on as_of_dates.as_of = checks.as_of and as_of_dates.is_readiness_date
left join {{ ref('stg_erp__plants') }} as plants on plants.plant_id = checks.plant_id
where not checks.passed
