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
    delete from {{ this }} as t where {{ mes_in_affected(entities, 't', day_expr, from_day=affected_from_day) }}
        {%- else -%}
    delete from {{ this }}
        {%- endif -%}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- The rows of `row` (a table alias with plant_id and work_center_id; `day_expr` is the row's day, e.g. 't.day') that
    fall in this invocation's affected ranges: a boolean condition for a where clause. With months=true the unit is the
    whole calendar month of every affected day (for monthly rollups); with per_work_center=false a range affects that
    day (or month) in every plant (for rollups that sum across plants). Used alike by a model's pre-hook delete
    (mes_delete_affected, mes_delete_affected_rows) and by its select, so it deletes exactly what it recomputes.
    `from_day`: mes_affected_from_day(entities) when the caller has already looked it up. -#}
{% macro mes_in_affected(entities, row, day_expr, months=false, per_work_center=true, from_day=none) -%}
    {%- set from_day = from_day or mes_affected_from_day(entities) -%}
    {{ day_expr }} >= {{ "cast(date_trunc('month', " ~ from_day ~ ") as date)" if months else from_day }}
    and exists (
        select 1 from {{ mes_affected_ranges(entities) }} as r
        where {% if per_work_center %}r.plant_id = {{ row }}.plant_id and r.work_center_id = {{ row }}.work_center_id
            and {% endif -%}
            {{ day_expr }} between
            {%- if months %} cast(date_trunc('month', r.from_day) as date) and last_day(r.to_day)
            {%- else %} r.from_day and r.to_day{% endif %}
    )
{%- endmacro %}

{#- Pre-hook of the incremental OEE marts (no bookkeeping column of their own): delete the rows mes_in_affected
    selects, which the model then inserts recomputed. Nothing to delete on a first build or a full refresh. -#}
{% macro mes_delete_affected_rows(entities, day_column, months=false, per_work_center=true) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as t where {{ mes_in_affected(entities, 't', 't.' ~ day_column, months, per_work_center) }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
