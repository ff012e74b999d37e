{#- string_agg in a given order: `{{ ordered_string_agg('label', "', '", 'criterion_order') }}`. Nulls are skipped on
    both engines; DuckDB orders inside the call, Spark (4.0+) with `within group`. -#}
{% macro ordered_string_agg(expression, delimiter, order_by, distinct=false) -%}
    {{ return(adapter.dispatch('ordered_string_agg')(expression, delimiter, order_by, distinct)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(expression, delimiter, order_by, distinct) -%}
    string_agg({{ 'distinct ' if distinct }}{{ expression }}, {{ delimiter }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_string_agg(expression, delimiter, order_by, distinct) -%}
    string_agg({{ 'distinct ' if distinct }}{{ expression }}, {{ delimiter }}) within group (order by {{ order_by }})
{%- endmacro %}
