{#- How the incremental models replace rows, per engine. Plain Parquet tables on Spark cannot delete rows
    (no DELETE, no delete+insert); they can overwrite whole partitions. -#}

{#- The materialization of a model that is incremental on DuckDB by deleting rows before appending (a DELETE
    pre-hook): `materialized=materialized_deleting_incremental()`. On Spark it is rebuilt whole every night (`table`),
    which gives the same rows; with Delta or Iceberg (docs/scale-out.md) it can stay incremental. -#}
{% macro materialized_deleting_incremental() -%}
    {{ return(adapter.dispatch('materialized_deleting_incremental')()) }}
{%- endmacro %}

{% macro default__materialized_deleting_incremental() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__materialized_deleting_incremental() -%}
    {{ return('table') }}
{%- endmacro %}

{#- Incremental config that replaces every row of the keys a night computes:
    `{{ config(materialized='incremental', **replace_by_key(['as_of'])) }}`. DuckDB: delete+insert on the key;
    Spark: insert_overwrite of the partitions by the key (the same columns), so the same rows result. -#}
{% macro replace_by_key(columns) -%}
    {{ return(adapter.dispatch('replace_by_key')(columns)) }}
{%- endmacro %}

{% macro default__replace_by_key(columns) -%}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': columns[0] if columns | length == 1 else columns}) }}
{%- endmacro %}

{% macro spark__replace_by_key(columns) -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': columns}) }}
{%- endmacro %}

{#- A mart that is a view on DuckDB (it reads another mart's table): a table on Spark, whose marts are copied back
    into DuckDB from their files under the lake (a Spark view has none). -#}
{% macro materialized_mart_view() -%}
    {{ return(adapter.dispatch('materialized_mart_view')()) }}
{%- endmacro %}

{% macro default__materialized_mart_view() -%}
    {{ return('view') }}
{%- endmacro %}

{% macro spark__materialized_mart_view() -%}
    {{ return('table') }}
{%- endmacro %}
