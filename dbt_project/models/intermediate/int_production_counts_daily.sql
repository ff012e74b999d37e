-- Hourly MES production counts summed to work center × plant-local day. An hour belongs to the plant-local day of
-- its start (hour is the UTC hour start), found by a join on the plant's local midnights (int_plant_calendar).
-- A (plant, work center, hour) delivered in several extracts counts once: the latest extract wins.
-- Incremental: a run recomputes the (plant, work center, plant-local day) ranges touched by this run's loads
-- (int_mes_load_footprint) from the hours of those days (a local day lies within UTC [day - 1, day + 2)).
{%- set affected = ['production_counts', 'plant_timezone'] %}
{{ config(
    materialized=materialized_deleting_incremental(),
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mes_delete_affected(" ~ affected ~ ", 't.day') }}"
) }}
-- depends_on: {{ ref('int_mes_load_footprint') }}
{%- set incremental = mes_is_incremental() %}
{%- set affected_from_day = mes_affected_from_day(affected) if incremental else none %}
with
{%- if incremental %}
ranges as (
    select * from {{ mes_affected_ranges(affected) }}
),
{%- endif %}

counts as (
    select
        plant_id,
        work_center_id,
        hour,
        produced_qty,
        good_qty,
        reject_qty,
        extract_date
    from {{ ref('stg_mes__production_counts') }} as staged
    {%- if incremental %}
    where staged.hour >= {{ shift_days('cast(' ~ affected_from_day ~ ' as timestamp)', -1, is_timestamp=true) }}
    and exists (
        select 1 from ranges
        where ranges.plant_id = staged.plant_id
            and ranges.work_center_id = staged.work_center_id
            and staged.hour >= {{ shift_days('cast(ranges.from_day as timestamp)', -1, is_timestamp=true) }}
            and staged.hour < {{ shift_days('cast(ranges.to_day as timestamp)', 2, is_timestamp=true) }}
    )
    {%- endif %}
),

-- an hour delivered in several extracts counts once: the latest extract wins (a numbered subquery, not `qualify`,
-- which Spark does not parse)
newest_counts as (
    select plant_id, work_center_id, hour, produced_qty, good_qty, reject_qty
    from (
        select
            counts.*,
            row_number() over (partition by plant_id, work_center_id, hour order by extract_date desc) as newest_first
        from counts
    ) as numbered
    where newest_first = 1
),

-- the plant-local day of each hour: the one whose local midnights enclose its start (int_plant_calendar)
located as (
    select newest_counts.*, calendar.day
    from newest_counts
    inner join {{ plant_days_by_utc_date() }} as calendar
        on calendar.plant_id = newest_counts.plant_id
        and calendar.utc_date = cast(newest_counts.hour as date)
        and newest_counts.hour >= calendar.day_start_utc
        and newest_counts.hour < calendar.day_end_utc
)

select
    plant_id,
    work_center_id,
    day,
    sum(produced_qty) as produced_qty,
    sum(good_qty) as good_qty,
    sum(reject_qty) as reject_qty,
    count(*) as counted_hours,
    cast('{{ invocation_id }}' as string) as dbt_invocation_id
from located
{%- if incremental %}
where exists (
    select 1 from ranges
    where ranges.plant_id = located.plant_id
        and ranges.work_center_id = located.work_center_id
        and located.day between ranges.from_day and ranges.to_day
)
{%- endif %}
group by plant_id, work_center_id, day
