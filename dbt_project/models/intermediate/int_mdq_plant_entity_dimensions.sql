-- Checked and passing rows per as_of × plant × entity and dimension (columns per dimension).
select
    as_of,
    plant_id,
    entity,
    count(distinct record_id) as records,
    {{ mdq_dimension_aggregates() }}
from {{ ref('int_mdq_record_dimensions') }}
group by 1, 2, 3
