{#- A row per step from `start` to `stop` (both included) joined to the rows before it, which `start` and `stop` may
    refer to: `from bounds {{ date_series("date_trunc('month', bounds.first_data)", "...", 'month', 'months',
    'month_start') }}`. DuckDB: generate_series; Spark: a lateral view of sequence. -#}
{% macro date_series(start, stop, step, alias, column) -%}
    {{ return(adapter.dispatch('date_series')(start, stop, step, alias, column)) }}
{%- endmacro %}

{% macro default__date_series(start, stop, step, alias, column) -%}
    , generate_series({{ start }}, {{ stop }}, interval 1 {{ step }}) as {{ alias }}({{ column }})
{%- endmacro %}

{% macro spark__date_series(start, stop, step, alias, column) -%}
    lateral view explode(sequence({{ start }}, {{ stop }}, interval 1 {{ step }})) {{ alias }} as {{ column }}
{%- endmacro %}
