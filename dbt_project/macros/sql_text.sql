{#- A Jinja value as a SQL string literal (single quotes doubled), or null. For texts from config/gates.yaml. -#}
{% macro sql_text(value) -%}
    {%- if value is none -%}cast(null as string){%- else -%}'{{ value | string | replace("'", "''") }}'{%- endif -%}
{%- endmacro %}
