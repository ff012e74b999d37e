-- OEE and unplanned downtime per plant and month, from marts.oee_rollup (level plant, grain month), which sums
-- the times and quantities before dividing (SPEC §4), with the previous month's and the same month a year
-- earlier as reference. Shown: months that start on or after the first recorded day and on or before the
-- readiness date (the stub months at either edge of the recorded period are left out).
with bounds as (
    select
        (select min(day) from marts.fct_oee_daily) as first_day,
        (select max(as_of) from marts.plant_readiness) as as_of
),

monthly as (
    select * from marts.oee_rollup where level = 'plant' and grain = 'month'
)

select
    r.company,
    r.plant_id,
    r.period_start as month,
    r.pbt_s,
    r.apt_s,
    r.adot_s,
    r.availability,
    r.effectiveness,
    r.quality_rate,
    r.oee,
    r.unplanned_downtime_pct,
    pm.oee as oee_previous_month,
    py.oee as oee_previous_year,
    pm.unplanned_downtime_pct as downtime_previous_month,
    py.unplanned_downtime_pct as downtime_previous_year
from monthly r
cross join bounds b
left join monthly pm on pm.plant_id = r.plant_id and pm.period_start = r.period_start - interval 1 month
    and pm.period_start >= b.first_day
left join monthly py on py.plant_id = r.plant_id and py.period_start = r.period_start - interval 12 month
    and py.period_start >= b.first_day
where r.period_start >= b.first_day and r.period_start <= b.as_of
order by r.plant_id, month
