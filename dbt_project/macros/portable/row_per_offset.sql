{#- In a select list: one row per integer 0 .. n - 1 (n >= 1), the row's value being that integer, e.g.
    `select located.*, {{ row_per_offset('n_days') }} as day_offset from located`. DuckDB: unnest(range(n));
    Spark: explode(sequence(0, n - 1)), which must stand alone in the select list (no expression around it). -#}
{% macro row_per_offset(count) -%}
    {{ return(adapter.dispatch('row_per_offset')(count)) }}
{%- endmacro %}

{% macro default__row_per_offset(count) -%}
    cast(unnest(range(cast({{ count }} as bigint))) as integer)
{%- endmacro %}

{% macro spark__row_per_offset(count) -%}
    explode(sequence(0, cast({{ count }} as integer) - 1))
{%- endmacro %}
