-- OEE per ISO 22400-2 per work center × plant-local day (SPEC §4).
--   availability  = APT / PBT
--   effectiveness = PQ × ideal_cycle_time_s / APT
--   quality_rate  = GQ / PQ
--   oee           = availability × effectiveness × quality_rate
-- Zero or missing denominators give null, and oee_null_reason says why.
-- Incremental: a run deletes and recomputes the (plant, work center, day) ranges touched by this run's loads or by a
-- change of the master data it joins (int_mes_load_footprint, entity oee_master); every other row is as it was.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mes_delete_affected_rows(['machine_states', 'production_counts', 'plant_timezone',
                                           'reason_catalogue', 'oee_master'], 'day') }}"
) }}
-- depends_on: {{ ref('int_mes_load_footprint') }}
{%- set affected = ['machine_states', 'production_counts', 'plant_timezone', 'reason_catalogue', 'oee_master'] %}
with states as (
    select * from {{ ref('int_machine_state_daily') }} as states
    {%- if is_incremental() %}
    where {{ mes_in_affected(affected, 'states', 'states.day') }}
    {%- endif %}
),

reason_catalogue as (
    select distinct plant_id, reason_code from {{ ref('stg_mes__reason_codes') }}
),

-- ISO 22400-2 time components: PBT = RUNNING + SETUP + UNPLANNED_STOP; APT = RUNNING; ADOT = UNPLANNED_STOP;
-- SUT = SETUP. An unplanned stop is one event, on the plant-local day it starts.
components as (
    select
        states.plant_id,
        states.work_center_id,
        states.day,
        sum(states.duration_s) filter (where states.state in ('RUNNING', 'SETUP', 'UNPLANNED_STOP')) as pbt_s,
        sum(states.duration_s) filter (where states.state = 'RUNNING') as apt_s,
        sum(states.duration_s) filter (where states.state = 'UNPLANNED_STOP') as adot_s,
        sum(states.duration_s) filter (where states.state = 'SETUP') as sut_s,
        sum(states.duration_s) filter (where states.state = 'PLANNED_STOP') as planned_stop_s,
        sum(states.duration_s) filter (where states.state = 'NO_ORDER') as no_order_s,
        sum(states.interval_starts) filter (where states.state = 'UNPLANNED_STOP') as unplanned_stop_events,
        sum(states.duration_s) filter (
            where states.state = 'UNPLANNED_STOP' and reason_catalogue.reason_code is not null
        ) as adot_with_valid_reason_s
    from states
    left join reason_catalogue
        on reason_catalogue.plant_id = states.plant_id
        and reason_catalogue.reason_code = states.reason_code
    group by states.plant_id, states.work_center_id, states.day
),

counts as (
    select * from {{ ref('int_production_counts_daily') }} as counts
    {%- if is_incremental() %}
    where {{ mes_in_affected(affected, 'counts', 'counts.day') }}
    {%- endif %}
),

work_centers as (
    select work_center_id, plant_id, line_id, ideal_cycle_time_s, is_bottleneck
    from {{ ref('stg_erp__work_centers') }}
    qualify row_number() over (partition by plant_id, work_center_id order by extract_date desc) = 1
),

plants as (
    select plant_id, company from {{ ref('stg_erp__plants') }}
),

work_center_days as (
    select
        coalesce(components.plant_id, counts.plant_id) as plant_id,
        coalesce(components.work_center_id, counts.work_center_id) as work_center_id,
        coalesce(components.day, counts.day) as day,
        coalesce(components.pbt_s, 0) as pbt_s,
        coalesce(components.apt_s, 0) as apt_s,
        coalesce(components.adot_s, 0) as adot_s,
        coalesce(components.sut_s, 0) as sut_s,
        coalesce(components.planned_stop_s, 0) as planned_stop_s,
        coalesce(components.no_order_s, 0) as no_order_s,
        coalesce(components.unplanned_stop_events, 0) as unplanned_stop_events,
        coalesce(components.adot_with_valid_reason_s, 0) as adot_with_valid_reason_s,
        counts.produced_qty,
        counts.good_qty,
        components.plant_id is not null as has_machine_states,
        counts.plant_id is not null as has_production_counts
    from components
    full outer join counts
        on counts.plant_id = components.plant_id
        and counts.work_center_id = components.work_center_id
        and counts.day = components.day
),

measured as (
    select
        plants.company,
        work_center_days.plant_id,
        work_centers.line_id,
        work_center_days.work_center_id,
        work_center_days.day,
        work_center_days.pbt_s,
        work_center_days.apt_s,
        work_center_days.adot_s,
        work_center_days.sut_s,
        work_center_days.planned_stop_s,
        work_center_days.no_order_s,
        work_center_days.produced_qty,
        work_center_days.good_qty,
        work_centers.ideal_cycle_time_s,
        work_center_days.produced_qty * work_centers.ideal_cycle_time_s as ideal_production_s,
        work_center_days.unplanned_stop_events,
        work_center_days.adot_with_valid_reason_s,
        work_center_days.has_machine_states,
        work_center_days.has_production_counts
    from work_center_days
    left join plants on plants.plant_id = work_center_days.plant_id
    left join work_centers
        on work_centers.plant_id = work_center_days.plant_id
        and work_centers.work_center_id = work_center_days.work_center_id
),

ratios as (
    select
        measured.*,
        {{ oee_safe_divide('apt_s', 'pbt_s') }} as availability,
        {{ oee_safe_divide('ideal_production_s', 'apt_s') }} as effectiveness,
        {{ oee_safe_divide('good_qty', 'produced_qty') }} as quality_rate,
        {{ oee_safe_divide('adot_s', 'pbt_s') }} as unplanned_downtime_pct
    from measured
)

select
    cast(company as varchar) as company,
    cast(plant_id as varchar) as plant_id,
    cast(line_id as varchar) as line_id,
    cast(work_center_id as varchar) as work_center_id,
    cast(day as date) as day,
    cast(pbt_s as double) as pbt_s,
    cast(apt_s as double) as apt_s,
    cast(adot_s as double) as adot_s,
    cast(sut_s as double) as sut_s,
    cast(planned_stop_s as double) as planned_stop_s,
    cast(no_order_s as double) as no_order_s,
    cast(produced_qty as double) as produced_qty,
    cast(good_qty as double) as good_qty,
    cast(ideal_cycle_time_s as double) as ideal_cycle_time_s,
    cast(ideal_production_s as double) as ideal_production_s,
    cast(availability as double) as availability,
    cast(effectiveness as double) as effectiveness,
    cast(quality_rate as double) as quality_rate,
    cast(availability * effectiveness * quality_rate as double) as oee,
    cast(
        case
            when pbt_s = 0 then 'no_planned_busy_time'
            when apt_s = 0 then 'no_actual_production_time'
            when produced_qty is null then 'no_production_counts'
            when ideal_cycle_time_s is null then 'no_ideal_cycle_time'
            when produced_qty = 0 then 'no_produced_quantity'
        end as varchar
    ) as oee_null_reason,
    cast(unplanned_downtime_pct as double) as unplanned_downtime_pct,
    cast(unplanned_stop_events as bigint) as unplanned_stop_events,
    cast(adot_with_valid_reason_s as double) as adot_with_valid_reason_s,
    cast(has_machine_states as boolean) as has_machine_states,
    cast(has_production_counts as boolean) as has_production_counts
from ratios
