{#- `expression` rounded to `digits` decimals, as text the same on both engines, with at least one decimal as DuckDB
    prints a double ('7111618.0', '3.4'): Spark prints a double of 1e7 or more in E notation ('1.5E7'), a decimal
    it prints in full on both. -#}
{% macro number_text(expression, digits=0) -%}
    cast(cast(round({{ expression }}, {{ digits }}) as decimal(38, {{ [digits, 1] | max }})) as string)
{%- endmacro %}
