-- OEE per ISO 22400-2 per work center × plant-local day (SPEC §4): the work-center × day rows of oee_rollup, where
-- the components are summed and every OEE formula is defined. A view: nothing is stored twice.
{{ config(materialized=materialized_mart_view()) }}
select
    company,
    plant_id,
    line_id,
    work_center_id,
    period_start as day,
    pbt_s,
    apt_s,
    adot_s,
    sut_s,
    planned_stop_s,
    no_order_s,
    produced_qty,
    good_qty,
    ideal_cycle_time_s,
    ideal_production_s,
    availability,
    effectiveness,
    quality_rate,
    oee,
    oee_null_reason,
    unplanned_downtime_pct,
    unplanned_stop_events,
    adot_with_valid_reason_s,
    has_machine_states,
    has_production_counts
from {{ ref('oee_rollup') }}
where level = 'work_center' and grain = 'day'
