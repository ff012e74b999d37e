-- Master-data quality per plant × entity × as_of (SPEC §4); the shares and the score are int_mdq_scores' (its
-- rows with an entity).
with scored as (
    select
        plants.company,
        scores.*,
        as_of_dates.is_readiness_date
    from {{ ref('int_mdq_scores') }} as scores
    inner join {{ ref('int_mdq_as_of_dates') }} as as_of_dates on as_of_dates.as_of = scores.as_of
    left join {{ ref('stg_erp__plants') }} as plants on plants.plant_id = scores.plant_id
    where scores.entity is not null
)

select
    cast(company as string) as company,
    cast(plant_id as string) as plant_id,
    cast(entity as string) as entity,
    cast(as_of as date) as as_of,
    cast(is_readiness_date as boolean) as is_readiness_date,
    cast(records as bigint) as records,
    cast(completeness as double) as completeness,
    cast(completeness_checked_rows as bigint) as completeness_checked_rows,
    cast(completeness_passing_rows as bigint) as completeness_passing_rows,
    cast(validity as double) as validity,
    cast(validity_checked_rows as bigint) as validity_checked_rows,
    cast(validity_passing_rows as bigint) as validity_passing_rows,
    cast(uniqueness as double) as uniqueness,
    cast(uniqueness_checked_rows as bigint) as uniqueness_checked_rows,
    cast(uniqueness_passing_rows as bigint) as uniqueness_passing_rows,
    cast(consistency as double) as consistency,
    cast(consistency_checked_rows as bigint) as consistency_checked_rows,
    cast(consistency_passing_rows as bigint) as consistency_passing_rows,
    cast(timeliness as double) as timeliness,
    cast(timeliness_checked_rows as bigint) as timeliness_checked_rows,
    cast(timeliness_passing_rows as bigint) as timeliness_passing_rows,
    cast(mdq_score as double) as mdq_score
from scored
