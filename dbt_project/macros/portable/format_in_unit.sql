{#- A criterion's value as text in its unit (config/gates.yaml): share/ratio '95.2 %', count '3', usd '$1,200',
    days '14 days'; 'not evaluated' when the value is null. -#}
{% macro format_in_unit(value, unit) -%}
    {{ return(adapter.dispatch('format_in_unit')(value, unit)) }}
{%- endmacro %}

{#- DuckDB's format() takes Python's (fmt's) format specifications -#}
{% macro default__format_in_unit(value, unit) -%}
    case
        when {{ value }} is null then 'not evaluated'
        when {{ unit }} in ('share', 'ratio') then format('{:.1f} %', {{ value }} * 100)
        when {{ unit }} = 'usd' then '$' || format('{:,.0f}', {{ value }})
        when {{ unit }} = 'days' then format('{:.0f} days', {{ value }})
        else format('{:g}', {{ value }})
    end
{%- endmacro %}

{#- Spark's format_string() takes Java's; `{:g}` (6 significant digits, trailing zeros dropped) is Java's %.6g with
    its trailing zeros removed, the same text for values from 1e-4 to 1e6 -#}
{% macro spark__format_in_unit(value, unit) -%}
    case
        when {{ value }} is null then 'not evaluated'
        when {{ unit }} in ('share', 'ratio') then format_string('%.1f %%', {{ value }} * 100)
        when {{ unit }} = 'usd' then '$' || format_number({{ value }}, 0)
        when {{ unit }} = 'days' then format_string('%.0f days', {{ value }})
        else regexp_replace(regexp_replace(format_string('%.6g', {{ value }}), '(\\.[0-9]*?)0+$', '$1'), '\\.$', '')
    end
{%- endmacro %}
