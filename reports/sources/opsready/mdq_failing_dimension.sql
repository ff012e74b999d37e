-- Distinct master-data records failing at least one rule of a DAMA dimension, per plant, on the latest MDQ date.
select company, plant_id, dimension, as_of, count(distinct entity || '|' || record_key) as failing_records
from marts.mdq_failing_records
group by all
order by plant_id, dimension
