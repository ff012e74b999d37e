{#- `expression` rounded half up to `digits` decimals, as text the same on both engines, with at least one decimal as
    DuckDB prints a double ('7111618.0', '3.4'). Rounded as a decimal: the engines round a double differently at an
    exact half (DuckDB from its binary value, 280.95 to 280.9; Spark from its shortest text, to 281.0), and Spark
    prints a double of 1e7 or more in E notation ('1.5E7'), a decimal in full. -#}
{% macro number_text(expression, digits=0) -%}
    cast(cast(round(cast({{ expression }} as decimal(38, 9)), {{ digits }}) as decimal(38, {{ [digits, 1] | max }}))
        as string)
{%- endmacro %}
