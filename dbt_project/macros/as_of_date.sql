{#- The readiness date every trailing window ends on: var('as_of') if given, else the latest extract date loaded. -#}
{% macro as_of_date() -%}
  {%- if var('as_of', none) -%}
    cast('{{ var("as_of") }}' as date)
  {%- else -%}
    (select max(extract_date) from {{ source('audit', 'load_log') }} where rows_loaded > 0)
  {%- endif -%}
{%- endmacro %}
