-- One row per as_of × plant × entity × record × dimension: the record passes a dimension when it passes every
-- rule of that dimension. These are the "checked rows" the MDQ shares count.
select
    as_of,
    plant_id,
    entity,
    record_id,
    dimension,
    bool_and(passed) as passed
from {{ ref('int_mdq_checks') }}
group by 1, 2, 3, 4, 5
