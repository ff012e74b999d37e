{#- True when the current model builds incrementally on a table that already carries `column`, its incremental
    bookkeeping column (a table built before the model was incremental lacks it: it is then emptied and rebuilt once).
    False at parse time, in unit tests and for models not materialized incrementally. -#}
{% macro incremental_with_column(column) -%}
    {%- if this is none or model.config.materialized != 'incremental' or not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {{ return(column in columns) }}
{%- endmacro %}
