-- OEE and unplanned downtime per plant and month, from marts.oee_rollup (level plant, grain month), which sums
-- the times and quantities before dividing (SPEC §4). Shown: months that start on or after the first recorded day
-- and on or before the readiness date (the stub months at either edge of the recorded period are left out).
with bounds as (
    select
        (select min(day) from marts.fct_oee_daily) as first_day,
        (select max(as_of) from marts.plant_readiness) as as_of
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
    r.unplanned_downtime_pct
from marts.oee_rollup r, bounds b
where r.level = 'plant' and r.grain = 'month'
  and r.period_start >= b.first_day and r.period_start <= b.as_of
order by r.plant_id, month
