-- OEE and unplanned downtime per plant and month, from summed numerators and denominators (SPEC §4):
-- effectiveness × APT = produced × ideal cycle time, so it sums.
select
    company,
    plant_id,
    date_trunc('month', day)::date as month,
    sum(pbt_s) as pbt_s,
    sum(apt_s) as apt_s,
    sum(adot_s) as adot_s,
    sum(produced_qty) as produced_qty,
    sum(good_qty) as good_qty,
    sum(apt_s) / nullif(sum(pbt_s), 0) as availability,
    sum(effectiveness * apt_s) / nullif(sum(apt_s), 0) as effectiveness,
    sum(good_qty) / nullif(sum(produced_qty), 0) as quality_rate,
    (sum(effectiveness * apt_s) / nullif(sum(pbt_s), 0)) * (sum(good_qty) / nullif(sum(produced_qty), 0)) as oee,
    sum(adot_s) / nullif(sum(pbt_s), 0) as unplanned_downtime_pct
from marts.fct_oee_daily
group by all
order by plant_id, month
