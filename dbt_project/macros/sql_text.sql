{#- A Jinja value as a SQL string literal, or null. For texts from config/gates.yaml. Quotes are escaped the
    engine's way (dbt's escape_single_quotes: doubled on DuckDB, a backslash on Spark, where '' would end the
    literal and start another one, joined without the quote). -#}
{% macro sql_text(value) -%}
    {%- if value is none -%}cast(null as string){%- else -%}'{{ escape_single_quotes(value | string) }}'{%- endif -%}
{%- endmacro %}
