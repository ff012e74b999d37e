-- OEE and downtime per ISO 22400-2 (SPEC §4), per work center, line, plant and company, per plant-local day and per
-- month: every OEE formula of the project, in this one file. fct_oee_daily is its work-center × day rows.
-- Components per work center × day: PBT = RUNNING + SETUP + UNPLANNED_STOP; APT = RUNNING; ADOT = UNPLANNED_STOP;
-- SUT = SETUP (int_machine_state_daily); PQ, GQ from the hourly counts (int_production_counts_daily); an unplanned
-- stop is one event on the plant-local day it starts. Every ratio is computed from the summed components of its row
-- (ratio of sums, never a mean of ratios); a zero or missing denominator gives null:
--   availability           = ΣAPT / ΣPBT
--   effectiveness          = Σ(PQ × ideal cycle time) / ΣAPT of the work-center days with counts and a cycle time
--   quality_rate           = ΣGQ / ΣPQ
--   oee                    = availability × effectiveness × quality_rate
--   unplanned_downtime_pct = ΣADOT / ΣPBT;  mtbf_s = ΣAPT / Σevents;  mttr_s = ΣADOT / Σevents
--   reason_coverage        = ΣADOT with a catalogued reason / ΣADOT
-- Incremental by calendar month: a run deletes and recomputes every row (both grains, every level, every plant: the
-- company totals span plants) of each month holding a day this run's loads or master-data changes touched.
{%- set affected = ['machine_states', 'production_counts', 'plant_timezone', 'reason_catalogue', 'oee_master'] %}
{{ config(
    materialized=materialized_deleting_incremental(),
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mes_delete_affected_rows(" ~ affected ~ ", 'period_start',
                                          months=true, per_work_center=false) }}"
) }}
-- depends_on: {{ ref('int_mes_load_footprint') }}
{%- set levels = {
    'work_center': ['plant_id', 'line_id', 'work_center_id'],
    'line': ['plant_id', 'line_id'],
    'plant': ['plant_id'],
    'company': [],
} %}
{%- set grains = {
    'day': 'day',
    'month': "cast(date_trunc('month', day) as date)",
} %}
with states as (
    select * from {{ ref('int_machine_state_daily') }} as states
    {%- if is_incremental() %}
    where {{ mes_in_affected(affected, 'states', 'states.day', months=true, per_work_center=false) }}
    {%- endif %}
),

counts as (
    select * from {{ ref('int_production_counts_daily') }} as counts
    {%- if is_incremental() %}
    where {{ mes_in_affected(affected, 'counts', 'counts.day', months=true, per_work_center=false) }}
    {%- endif %}
),

reason_catalogue as (
    select distinct plant_id, reason_code from {{ ref('stg_mes__reason_codes') }}
),

work_centers as (
    select work_center_id, plant_id, line_id, ideal_cycle_time_s
    from (
        select
            work_center_id, plant_id, line_id, ideal_cycle_time_s,
            row_number() over (partition by plant_id, work_center_id order by extract_date desc) as newest_first
        from {{ ref('stg_erp__work_centers') }}
    ) as numbered
    where newest_first = 1
),

plants as (
    select plant_id, company from {{ ref('stg_erp__plants') }}
),

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

-- one row per work center × day with states or counts
work_center_days as (
    select
        plants.company,
        coalesce(components.plant_id, counts.plant_id) as plant_id,
        work_centers.line_id,
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
        work_centers.ideal_cycle_time_s,
        counts.produced_qty * work_centers.ideal_cycle_time_s as ideal_production_s,
        components.plant_id is not null as has_machine_states,
        counts.plant_id is not null as has_production_counts
    from components
    full outer join counts
        on counts.plant_id = components.plant_id
        and counts.work_center_id = components.work_center_id
        and counts.day = components.day
    left join plants on plants.plant_id = coalesce(components.plant_id, counts.plant_id)
    left join work_centers
        on work_centers.plant_id = coalesce(components.plant_id, counts.plant_id)
        and work_centers.work_center_id = coalesce(components.work_center_id, counts.work_center_id)
),

rolled as (
{%- for level, keys in levels.items() %}
{%- for grain, period_expr in grains.items() %}
    select
        '{{ level }}' as level,
        '{{ grain }}' as grain,
        {{ period_expr }} as period_start,
        company,
        {{ 'plant_id' if 'plant_id' in keys else 'cast(null as string)' }} as plant_id,
        {{ 'line_id' if 'line_id' in keys else 'cast(null as string)' }} as line_id,
        {{ 'work_center_id' if 'work_center_id' in keys else 'cast(null as string)' }} as work_center_id,
        count(*) as work_center_days,
        sum(pbt_s) as pbt_s,
        sum(apt_s) as apt_s,
        sum(adot_s) as adot_s,
        sum(sut_s) as sut_s,
        sum(planned_stop_s) as planned_stop_s,
        sum(no_order_s) as no_order_s,
        sum(apt_s) filter (where ideal_production_s is not null) as apt_with_counts_s,
        sum(ideal_production_s) as ideal_production_s,
        sum(produced_qty) as produced_qty,
        sum(good_qty) as good_qty,
        {{ 'max(ideal_cycle_time_s)' if level == 'work_center' else 'cast(null as double)' }} as ideal_cycle_time_s,
        sum(unplanned_stop_events) as unplanned_stop_events,
        sum(adot_with_valid_reason_s) as adot_with_valid_reason_s,
        bool_or(has_machine_states) as has_machine_states,
        bool_or(has_production_counts) as has_production_counts
    from work_center_days
    group by {{ period_expr }}, company{% for k in keys %}, {{ k }}{% endfor %}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
),

ratios as (
    select
        rolled.*,
        {{ safe_divide('apt_s', 'pbt_s') }} as availability,
        {{ safe_divide('ideal_production_s', 'apt_with_counts_s') }} as effectiveness,
        {{ safe_divide('good_qty', 'produced_qty') }} as quality_rate,
        {{ safe_divide('adot_s', 'pbt_s') }} as unplanned_downtime_pct,
        {{ safe_divide('apt_s', 'unplanned_stop_events') }} as mtbf_s,
        {{ safe_divide('adot_s', 'unplanned_stop_events') }} as mttr_s,
        {{ safe_divide('adot_with_valid_reason_s', 'adot_s') }} as reason_coverage
    from rolled
)

select
    cast(level as string) as level,
    cast(grain as string) as grain,
    cast(period_start as date) as period_start,
    cast(company as string) as company,
    cast(plant_id as string) as plant_id,
    cast(line_id as string) as line_id,
    cast(work_center_id as string) as work_center_id,
    cast(work_center_days as bigint) as work_center_days,
    cast(pbt_s as double) as pbt_s,
    cast(apt_s as double) as apt_s,
    cast(adot_s as double) as adot_s,
    cast(sut_s as double) as sut_s,
    cast(apt_with_counts_s as double) as apt_with_counts_s,
    cast(ideal_production_s as double) as ideal_production_s,
    cast(produced_qty as double) as produced_qty,
    cast(good_qty as double) as good_qty,
    cast(unplanned_stop_events as bigint) as unplanned_stop_events,
    cast(adot_with_valid_reason_s as double) as adot_with_valid_reason_s,
    cast(availability as double) as availability,
    cast(effectiveness as double) as effectiveness,
    cast(quality_rate as double) as quality_rate,
    cast(availability * effectiveness * quality_rate as double) as oee,
    cast(unplanned_downtime_pct as double) as unplanned_downtime_pct,
    cast(mtbf_s as double) as mtbf_s,
    cast(mttr_s as double) as mttr_s,
    cast(reason_coverage as double) as reason_coverage,
    cast(planned_stop_s as double) as planned_stop_s,
    cast(no_order_s as double) as no_order_s,
    cast(ideal_cycle_time_s as double) as ideal_cycle_time_s,
    cast(
        case
            when availability * effectiveness * quality_rate is not null then null
            when pbt_s = 0 then 'no_planned_busy_time'
            when apt_s = 0 then 'no_actual_production_time'
            when produced_qty is null then 'no_production_counts'
            when ideal_production_s is null then 'no_ideal_cycle_time'
            when produced_qty = 0 then 'no_produced_quantity'
            else 'no_production_time_with_counts'
        end as string
    ) as oee_null_reason,
    cast(has_machine_states as boolean) as has_machine_states,
    cast(has_production_counts as boolean) as has_production_counts
from ratios
