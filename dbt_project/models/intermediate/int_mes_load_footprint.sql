-- What each MES load (and each master-data fingerprint the MES chain depends on) covers: one row per
-- (load, plant, work center) with the UTC day range its rows touch, widened by one day on each side so that every
-- plant-local day the rows can fall on is inside (UTC offsets are < 24 h).
-- This is the incremental bookkeeping of the MES chain (see opsready/bench.py, "Incremental MES chain"):
--   * a load whose rows are in raw but not here is new: its footprint is inserted with this invocation's id;
--   * a load recorded here as live whose rows are gone from raw (a corrected re-extract `replaced` it, or it was
--     deleted) vanished: its footprint is re-inserted with is_live = false and this invocation's id, so the days it
--     covered are recomputed without it;
--   * master-data fingerprints (a plant's time zone, a plant's reason catalogue, the plant's master data the OEE marts
--     join) work the same way: a changed fingerprint marks every day of that plant's work centers.
-- The incremental MES models recompute exactly the (plant, work center, day) ranges whose footprint row carries
-- this invocation's id (`mes_affected_ranges`). Incremental delete+insert keyed on load_id.
{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    **replace_by_key(['load_id'])
) }}
-- (the distinct load ids first, then the entity label: a distinct over the id and a constant is a string
-- group-by over every raw row, 0.55 s against 0.07 s at ten times the sample)
with live_loads as (
    select load_id, 'machine_states' as entity
    from (select distinct _load_id as load_id from {{ source('raw', 'machine_states') }})
    union all
    select load_id, 'production_counts' as entity
    from (select distinct _load_id as load_id from {{ source('raw', 'production_counts') }})
),

fingerprints as (
    select 'tz:' || plant_id || ':' || coalesce(timezone, '') as load_id, 'plant_timezone' as entity, plant_id
    from (select distinct plant_id, timezone from {{ ref('stg_erp__plants') }})
    union all
    select
        'rc:' || plant_id || ':' || md5({{ ordered_string_agg('reason_code', "','", 'reason_code') }}) as load_id,
        'reason_catalogue' as entity,
        plant_id
    from (select distinct plant_id, reason_code from {{ ref('stg_mes__reason_codes') }})
    group by plant_id
    union all
    -- the master data the OEE marts join per plant: its company, its work centers' lines and ideal cycle times,
    -- its reason categories (fct_oee_daily, oee_rollup, downtime_by_reason_monthly)
    select
        'om:' || plant_id || ':' || md5({{ ordered_string_agg('item', "'|'", 'item') }}) as load_id,
        'oee_master' as entity,
        plant_id
    from (
        select plant_id, {{ json_object_text(['company']) }} as item from {{ ref('stg_erp__plants') }}
        union all
        select plant_id, {{ json_object_text(['work_center_id', 'line_id', 'ideal_cycle_time_s']) }}
        from {{ ref('stg_erp__work_centers') }}
        union all
        select plant_id, {{ json_object_text(['reason_code', 'category']) }}
        from {{ ref('stg_mes__reason_codes') }}
    )
    group by plant_id
),

new_loads as (
    select load_id, entity from live_loads
    {% if is_incremental() %}where load_id not in (select load_id from {{ this }}){% endif %}
),

new_fingerprints as (
    select load_id, entity, plant_id from fingerprints
    {% if is_incremental() %}where load_id not in (select load_id from {{ this }}){% endif %}
),

new_footprint as (
    select
        _load_id as load_id, 'machine_states' as entity, plant_id, work_center_id,
        cast(min(least(started_at, ended_at)) as date) - 1 as from_day,
        cast(max(greatest(started_at, ended_at)) as date) + 1 as to_day
    from {{ source('raw', 'machine_states') }}
    where _load_id in (select load_id from new_loads where entity = 'machine_states')
    group by 1, 2, 3, 4
    union all
    select
        _load_id as load_id, 'production_counts' as entity, plant_id, work_center_id,
        cast(min(hour) as date) - 1 as from_day,
        cast(max(hour) as date) + 1 as to_day
    from {{ source('raw', 'production_counts') }}
    where _load_id in (select load_id from new_loads where entity = 'production_counts')
    group by 1, 2, 3, 4
    union all
    -- a changed master fingerprint: every work center of the plant that has MES rows, every day
    select
        new_fingerprints.load_id, new_fingerprints.entity, work_centers.plant_id, work_centers.work_center_id,
        date '1900-01-01' as from_day, date '2999-12-31' as to_day
    from new_fingerprints
    inner join (
        select distinct plant_id, work_center_id from {{ source('raw', 'machine_states') }}
        where plant_id in (select plant_id from new_fingerprints)
        union
        select distinct plant_id, work_center_id from {{ source('raw', 'production_counts') }}
        where plant_id in (select plant_id from new_fingerprints)
    ) as work_centers on work_centers.plant_id = new_fingerprints.plant_id
)

select
    cast(load_id as string) as load_id,
    cast(entity as string) as entity,
    cast(plant_id as string) as plant_id,
    cast(work_center_id as string) as work_center_id,
    cast(from_day as date) as from_day,
    cast(to_day as date) as to_day,
    true as is_live,
    cast('{{ invocation_id }}' as string) as dbt_invocation_id
from new_footprint
{% if is_incremental() %}
union all
-- vanished loads / fingerprints: their old footprint, now dead, marked for recomputation in this invocation
select load_id, entity, plant_id, work_center_id, from_day, to_day, false as is_live,
    cast('{{ invocation_id }}' as string) as dbt_invocation_id
from {{ this }}
where is_live
    and load_id not in (select load_id from live_loads)
    and load_id not in (select load_id from fingerprints)
{% endif %}
