{#- True when the warehouse holds no readiness verdicts yet (audit.readiness_history missing or empty): the first run
    on a warehouse then evaluates every month end since the earliest data (int_readiness_dates). False at parse time. -#}
{% macro readiness_history_is_empty() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set history = adapter.get_relation(database=target.database, schema='audit', identifier='readiness_history') -%}
    {%- if history is none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set rows = run_query('select count(*) from ' ~ history) -%}
    {{ return(rows.columns[0].values()[0] == 0) }}
{%- endmacro %}
