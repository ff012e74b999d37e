{#- True when a text column is null, empty or only whitespace (an unanswered register field). -#}
{% macro is_blank(column) -%}
    (trim(coalesce({{ column }}, '')) = '')
{%- endmacro %}
