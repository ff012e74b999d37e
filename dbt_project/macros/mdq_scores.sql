{#- The five DAMA dimensions, in report order. -#}
{% macro mdq_dimensions() -%}
    {{ return(['completeness', 'validity', 'uniqueness', 'consistency', 'timeliness']) }}
{%- endmacro %}

{#- Per dimension: checked rows, passing rows and the share passing (null when nothing was checked),
    aggregated over the rows of int_mdq_record_dimensions in the group (rows weighted across entities). -#}
{% macro mdq_dimension_aggregates() -%}
    {%- for d in mdq_dimensions() %}
    sum(case when dimension = '{{ d }}' then 1 else 0 end) as {{ d }}_checked_rows,
    sum(case when dimension = '{{ d }}' and passed then 1 else 0 end) as {{ d }}_passing_rows,
    {{ oee_safe_divide("sum(case when dimension = '" ~ d ~ "' and passed then 1 else 0 end)",
                       "sum(case when dimension = '" ~ d ~ "' then 1 else 0 end)") }} as {{ d }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- MDQ score: mean of the dimension shares weighted by var('mdq_weights') (default equal); a dimension with no
    checked rows (null share) is left out of numerator and denominator alike. -#}
{% macro mdq_weighted_score() -%}
    {%- set weights = var('mdq_weights', {}) -%}
    {%- set num -%}
        {%- for d in mdq_dimensions() %}coalesce({{ weights.get(d, 1) }} * {{ d }}, 0){% if not loop.last %} + {% endif %}{% endfor -%}
    {%- endset -%}
    {%- set den -%}
        {%- for d in mdq_dimensions() %}(case when {{ d }} is null then 0 else {{ weights.get(d, 1) }} end){% if not loop.last %} + {% endif %}{% endfor -%}
    {%- endset -%}
    {{ oee_safe_divide(num, den) }}
{%- endmacro %}
