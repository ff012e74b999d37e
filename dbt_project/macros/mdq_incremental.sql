{#- Master-data quality models, incremental by as_of (int_mdq_materials_as_of, int_mdq_<entity>_checks for materials,
    bom, equipment, work_centers and production_orders, int_mdq_record_dimensions, int_mdq_plant_entity_dimensions).
    A night computes only the as_of dates the table does not hold yet for the current input fingerprint
    (int_mdq_input_fingerprint: the master-data and order loads, the MDQ settings and the MDQ models' code): usually
    just the new readiness date. Rows of dates that are no longer MDQ dates (yesterday's
    readiness date) are deleted; a changed fingerprint (a new or corrected ERP extract, a changed rule) deletes
    everything and the model recomputes every date, exactly as a full rebuild.

    mdq_as_of_dates(): the as_of dates (and is_readiness_date) the current model computes.
    mdq_delete_stale(): pre-hook removing the rows the model is about to recompute or that are no longer wanted.
    Models using them declare `-- depends_on: {{ ref('int_mdq_input_fingerprint') }}`. -#}

{% macro mdq_is_incremental() -%}
    {{ return(incremental_with_column('inputs_fingerprint')) }}
{%- endmacro %}

{% macro mdq_as_of_dates() -%}
    {%- if mdq_is_incremental() -%}
    (
        select as_of, is_readiness_date from {{ ref('int_mdq_as_of_dates') }}
        where as_of not in (
            select distinct as_of from {{ this }}
            where inputs_fingerprint = (select fingerprint from {{ ref('int_mdq_input_fingerprint') }})
        )
    )
    {%- else -%}
    {{ ref('int_mdq_as_of_dates') }}
    {%- endif -%}
{%- endmacro %}

{% macro mdq_delete_stale() -%}
    {%- if mdq_is_incremental() -%}
    delete from {{ this }}
    where as_of not in (select as_of from {{ ref('int_mdq_as_of_dates') }})
        or inputs_fingerprint is distinct from (select fingerprint from {{ ref('int_mdq_input_fingerprint') }})
    {%- elif is_incremental() -%}
    delete from {{ this }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
