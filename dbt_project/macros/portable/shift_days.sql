{#- `expression` moved by `days` days (a number or an expression; negative: earlier), keeping its type (date or
    timestamp). DuckDB: interval arithmetic; Spark: date_add on dates, a day-time interval on timestamps. -#}
{% macro shift_days(expression, days, is_timestamp=false) -%}
    {{ return(adapter.dispatch('shift_days')(expression, days, is_timestamp)) }}
{%- endmacro %}

{% macro default__shift_days(expression, days, is_timestamp) -%}
    ({{ expression }} + interval ({{ days }}) day)
{%- endmacro %}

{% macro spark__shift_days(expression, days, is_timestamp) -%}
    {%- if is_timestamp -%}
        ({{ expression }} + make_dt_interval({{ days }}))
    {%- else -%}
        date_add({{ expression }}, {{ days }})
    {%- endif -%}
{%- endmacro %}

{#- `expression` (a date) moved by `months` calendar months, as a date. -#}
{% macro shift_months(expression, months) -%}
    {{ return(adapter.dispatch('shift_months')(expression, months)) }}
{%- endmacro %}

{% macro default__shift_months(expression, months) -%}
    cast({{ expression }} + interval ({{ months }}) month as date)
{%- endmacro %}

{% macro spark__shift_months(expression, months) -%}
    add_months({{ expression }}, {{ months }})
{%- endmacro %}
