{#- A criterion's value as text in its unit (config/gates.yaml): share/ratio '95.2 %', count '3', usd '$1,200',
    days '14 days'; 'not evaluated' when the value is null. -#}
{% macro format_in_unit(value, unit) -%}
    case
        when {{ value }} is null then 'not evaluated'
        when {{ unit }} in ('share', 'ratio') then format('{:.1f} %', {{ value }} * 100)
        when {{ unit }} = 'usd' then '$' || format('{:,.0f}', {{ value }})
        when {{ unit }} = 'days' then format('{:.0f} days', {{ value }})
        else format('{:g}', {{ value }})
    end
{%- endmacro %}
