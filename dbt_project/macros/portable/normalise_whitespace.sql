{#- Text lower-cased, trimmed and with every run of whitespace collapsed to one space. -#}
{% macro normalise_whitespace(expr) -%}
    {{ return(adapter.dispatch('normalise_whitespace')(expr)) }}
{%- endmacro %}

{% macro default__normalise_whitespace(expr) -%}
    regexp_replace(lower(trim({{ expr }})), '\s+', ' ', 'g')
{%- endmacro %}

{#- Spark replaces every match without a flag, and its string literals take a backslash as an escape -#}
{% macro spark__normalise_whitespace(expr) -%}
    regexp_replace(lower(trim({{ expr }})), '\\s+', ' ')
{%- endmacro %}
