-- OEE and downtime rolled up from fct_oee_daily to work center, line, plant and company, per day and per month.
-- Every ratio is computed from the summed components of its rows (ratio of sums, never a mean of ratios):
--   availability = Σapt / Σpbt; effectiveness = Σ(PQ × ideal cycle) / Σapt (over work-center days with counts);
--   quality_rate = ΣGQ / ΣPQ; oee = the product of the three; unplanned_downtime_pct = Σadot / Σpbt;
--   mtbf_s = Σapt / Σevents; mttr_s = Σadot / Σevents; reason_coverage = Σadot with a catalogued reason / Σadot.
-- Incremental by calendar month: a run deletes and recomputes every row (both grains, every level, every plant: the
-- company totals span plants) of each month holding a day whose fct_oee_daily rows this run rewrote.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mes_delete_affected_rows(['machine_states', 'production_counts', 'plant_timezone',
                                           'reason_catalogue', 'oee_master'], 'period_start',
                                          months=true, per_work_center=false) }}"
) }}
-- depends_on: {{ ref('int_mes_load_footprint') }}
{%- set affected = ['machine_states', 'production_counts', 'plant_timezone', 'reason_catalogue', 'oee_master'] %}
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
with daily as (
    select
        *,
        case when ideal_production_s is not null then apt_s end as apt_with_counts_s
    from {{ ref('fct_oee_daily') }} as fct
    {%- if is_incremental() %}
    where {{ mes_in_affected(affected, 'fct', 'fct.day', months=true, per_work_center=false) }}
    {%- endif %}
),

rolled as (
{%- for level, keys in levels.items() %}
{%- for grain, period_expr in grains.items() %}
    select
        '{{ level }}' as level,
        '{{ grain }}' as grain,
        {{ period_expr }} as period_start,
        company,
        {{ 'plant_id' if 'plant_id' in keys else 'cast(null as varchar)' }} as plant_id,
        {{ 'line_id' if 'line_id' in keys else 'cast(null as varchar)' }} as line_id,
        {{ 'work_center_id' if 'work_center_id' in keys else 'cast(null as varchar)' }} as work_center_id,
        count(*) as work_center_days,
        sum(pbt_s) as pbt_s,
        sum(apt_s) as apt_s,
        sum(adot_s) as adot_s,
        sum(sut_s) as sut_s,
        sum(apt_with_counts_s) as apt_with_counts_s,
        sum(ideal_production_s) as ideal_production_s,
        sum(produced_qty) as produced_qty,
        sum(good_qty) as good_qty,
        sum(unplanned_stop_events) as unplanned_stop_events,
        sum(adot_with_valid_reason_s) as adot_with_valid_reason_s
    from daily
    group by {{ period_expr }}, company{% for k in keys %}, {{ k }}{% endfor %}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
)

select
    cast(level as varchar) as level,
    cast(grain as varchar) as grain,
    cast(period_start as date) as period_start,
    cast(company as varchar) as company,
    cast(plant_id as varchar) as plant_id,
    cast(line_id as varchar) as line_id,
    cast(work_center_id as varchar) as work_center_id,
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
    {{ oee_rollup_ratios() }}
from rolled
