-- Master-data records failing a rule on the latest MDQ date, counted per plant, entity, dimension and rule
-- (marts.mdq_failing_records holds one row per failing record and rule).
select
    company,
    plant_id,
    entity,
    dimension,
    rule,
    as_of,
    count(*) as failing_rows,
    count(distinct record_key) as failing_records
from marts.mdq_failing_records
group by all
order by plant_id, entity, dimension, rule
