-- The dates master-data quality is measured on: every snapshot date present in the master-data history
-- (the quarter-end extracts) up to the readiness date, plus the readiness date itself (macro as_of_date).
with readiness as (
    select {{ as_of_date() }} as as_of
),

snapshot_dates as (
    select distinct extract_date as as_of from {{ ref('stg_erp__materials_history') }}
    union
    select distinct extract_date from {{ ref('stg_erp__bom_history') }}
    union
    select distinct extract_date from {{ ref('stg_erp__equipment_history') }}
    union
    select distinct extract_date from {{ ref('stg_erp__work_centers_history') }}
)

select distinct cast(snapshot_dates.as_of as date) as as_of, false as is_readiness_date
from snapshot_dates
cross join readiness
where snapshot_dates.as_of < readiness.as_of
union all
select cast(as_of as date), true from readiness where as_of is not null
