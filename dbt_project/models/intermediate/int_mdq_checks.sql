-- Every master-data quality check result: one row per as_of × plant × entity × record × rule (passed true/false).
-- The rules and their dimensions are documented in the int_mdq_<entity>_checks models.
-- A view: the union is read by a few models, each filtering it; copying 10 M rows a night bought nothing.
{{ config(materialized='view') }}
{%- set entity_models = ['int_mdq_materials_checks', 'int_mdq_bom_checks', 'int_mdq_equipment_checks',
                         'int_mdq_work_centers_checks', 'int_mdq_production_orders_checks'] %}
{% for m in entity_models %}
select
    cast(as_of as date) as as_of,
    cast(plant_id as string) as plant_id,
    cast(entity as string) as entity,
    cast(record_id as string) as record_id,
    cast(record_key as string) as record_key,
    cast(dimension as string) as dimension,
    cast(rule as string) as rule,
    cast(passed as boolean) as passed,
    cast(failing_value as string) as failing_value
from {{ ref(m) }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
