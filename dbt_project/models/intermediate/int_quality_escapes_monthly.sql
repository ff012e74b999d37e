-- Monthly quality escapes per work center, one row per (plant, work center, month): a month delivered in several
-- extracts counts once (the latest extract wins). Line from the current work-center master.
-- (a numbered subquery, not `qualify`, which Spark does not parse)
with escapes as (
    select plant_id, work_center_id, month, shipped_units, escaped_defects
    from (
        select
            plant_id, work_center_id, cast(date_trunc('month', month) as date) as month, shipped_units,
            escaped_defects,
            row_number() over (
                partition by plant_id, work_center_id, cast(date_trunc('month', month) as date)
                order by extract_date desc
            ) as newest_first
        from {{ ref('stg_mes__quality_escapes') }}
    ) as numbered
    where newest_first = 1
),

work_centers as (
    select plant_id, work_center_id, line_id
    from (
        select
            plant_id, work_center_id, line_id,
            row_number() over (partition by plant_id, work_center_id order by extract_date desc) as newest_first
        from {{ ref('stg_erp__work_centers') }}
    ) as numbered
    where newest_first = 1
),

plants as (
    select plant_id, company from {{ ref('stg_erp__plants') }}
)

select
    plants.company,
    escapes.plant_id,
    work_centers.line_id,
    escapes.work_center_id,
    escapes.month,
    escapes.shipped_units,
    escapes.escaped_defects
from escapes
left join work_centers
    on work_centers.plant_id = escapes.plant_id
    and work_centers.work_center_id = escapes.work_center_id
left join plants on plants.plant_id = escapes.plant_id
