-- Hourly MES production counts summed to work center × plant-local day. An hour belongs to the plant-local day of
-- its start (hour is the UTC hour start). A (plant, work center, hour) delivered in several extracts counts once:
-- the latest extract wins.
with counts as (
    select
        plant_id,
        work_center_id,
        hour,
        produced_qty,
        good_qty,
        reject_qty
    from {{ ref('stg_mes__production_counts') }}
    qualify row_number() over (
        partition by plant_id, work_center_id, hour order by extract_date desc
    ) = 1
),

plants as (
    select plant_id, timezone from {{ ref('stg_erp__plants') }}
)

select
    counts.plant_id,
    counts.work_center_id,
    cast({{ oee_to_plant_local('counts.hour', 'plants.timezone') }} as date) as day,
    sum(counts.produced_qty) as produced_qty,
    sum(counts.good_qty) as good_qty,
    sum(counts.reject_qty) as reject_qty,
    count(*) as counted_hours
from counts
inner join plants on plants.plant_id = counts.plant_id
group by 1, 2, 3
