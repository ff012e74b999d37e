-- Master-data quality (SPEC §4): every MDQ formula of the project, in this one file, per as_of × plant × entity and
-- per as_of × plant (entity null: rows weighted across entities, i.e. the entities' checked and passing rows summed).
--   <dimension>  = passing rows / checked rows of the dimension (null when nothing was checked)
--   mdq_score    = mean of the dimension shares weighted by var('mdq_weights') (default equal); a dimension with no
--                  checked rows is left out of numerator and denominator alike
{%- set dimensions = ['completeness', 'validity', 'uniqueness', 'consistency', 'timeliness'] %}
{%- set weights = var('mdq_weights', {}) %}
with summed as (
    select
        as_of,
        plant_id,
        entity,
        sum(records) as records,
        {%- for d in dimensions %}
        sum({{ d }}_checked_rows) as {{ d }}_checked_rows,
        sum({{ d }}_passing_rows) as {{ d }}_passing_rows{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('int_mdq_plant_entity_dimensions') }}
    group by grouping sets ((as_of, plant_id, entity), (as_of, plant_id))
),

shares as (
    select
        summed.*,
        {%- for d in dimensions %}
        {{ safe_divide(d ~ '_passing_rows', d ~ '_checked_rows') }} as {{ d }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from summed
)

{%- set weighted_sum -%}
    {%- for d in dimensions %}coalesce({{ weights.get(d, 1) }} * {{ d }}, 0){% if not loop.last %} + {% endif %}{% endfor -%}
{%- endset %}
{%- set weight_of_measured -%}
    {%- for d in dimensions %}(case when {{ d }} is null then 0 else {{ weights.get(d, 1) }} end)
    {%- if not loop.last %} + {% endif %}{% endfor -%}
{%- endset %}
select
    shares.*,
    {{ safe_divide(weighted_sum, weight_of_measured) }} as mdq_score
from shares
