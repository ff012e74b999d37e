{#- Incremental MES chain (see int_mes_load_footprint and opsready/bench.py "Incremental MES chain").

    mes_affected_ranges(entities): the (plant_id, work_center_id, from_day, to_day) ranges this invocation must
    recompute, merged per work center into disjoint islands (so no row is produced twice). `entities` is the list of
    footprint entities the calling model depends on.
-#}
{% macro mes_affected_ranges(entities) -%}
(
    with footprint as (
        select plant_id, work_center_id, from_day, to_day
        from {{ ref('int_mes_load_footprint') }}
        where dbt_invocation_id = '{{ invocation_id }}'
            and entity in ({% for e in entities %}'{{ e }}'{% if not loop.last %}, {% endif %}{% endfor %})
    ),
    ordered as (
        select *, max(to_day) over (
            partition by plant_id, work_center_id order by from_day, to_day
            rows between unbounded preceding and 1 preceding
        ) as previous_to_day
        from footprint
    ),
    islands as (
        select *, sum(case when previous_to_day is null or from_day > previous_to_day + 1 then 1 else 0 end) over (
            partition by plant_id, work_center_id order by from_day, to_day rows unbounded preceding
        ) as island
        from ordered
    )
    select plant_id, work_center_id, min(from_day) as from_day, max(to_day) as to_day
    from islands
    group by plant_id, work_center_id, island
)
{%- endmacro %}

{#- The earliest day of this invocation's affected ranges (a date literal, looked up when the model runs), or a
    literal null when nothing is affected. The models add it as a constant bound beside the exact per-range
    conditions: raw MES tables are stored in extract order, so DuckDB's zone maps skip every older row group. -#}
{% macro mes_affected_from_day(entities) -%}
    {%- if execute -%}
        {%- set result = run_query(
            "select min(from_day) from " ~ ref('int_mes_load_footprint') ~ " where dbt_invocation_id = '"
            ~ invocation_id ~ "' and entity in ('" ~ entities | join("', '") ~ "')") -%}
        {%- set day = result.columns[0].values()[0] -%}
        {%- if day is not none -%}{{ return("date '" ~ day ~ "'") }}{%- endif -%}
    {%- endif -%}
    {{ return("cast(null as date)") }}
{%- endmacro %}

{#- True when the model builds incrementally on a table that already carries the incremental bookkeeping column
    (a table built before the chain was incremental lacks it: it is then emptied and rebuilt once). -#}
{% macro mes_is_incremental() -%}
    {{ return(incremental_with_column('dbt_invocation_id')) }}
{%- endmacro %}

{#- Pre-hook of the incremental MES models: delete the rows this invocation recomputes (rows of the affected
    ranges), before the model's new rows for the same ranges are inserted. `day_expr` is the row's day. -#}
{% macro mes_delete_affected(entities, day_expr='day') -%}
    {%- if is_incremental() -%}
        {%- set affected_from_day = mes_affected_from_day(entities) if mes_is_incremental() else none -%}
        {%- if affected_from_day == 'cast(null as date)' -%}
    select 1  -- nothing affected this run: nothing to delete (and no scan of the table)
        {%- elif affected_from_day is not none -%}
    delete from {{ this }} as t
    where {{ day_expr | replace('{t}', 't') }} >= {{ affected_from_day }}
        and exists (
        select 1 from {{ mes_affected_ranges(entities) }} as r
        where r.plant_id = t.plant_id and r.work_center_id = t.work_center_id
            and {{ day_expr | replace('{t}', 't') }} between r.from_day and r.to_day
    )
        {%- else -%}
    delete from {{ this }}
        {%- endif -%}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
