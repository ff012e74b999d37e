-- Master-data quality checks on production orders (transactional rows that must resolve against the master),
-- one row per order × rule × as_of. The orders measured on an as_of are those in extracts dated in the quarter
-- ending on it: (as_of − 3 months, as_of].
--   completeness: mdq_required_fields('production_orders'); validity: planned_qty > 0, yield and scrap >= 0,
--   finished_at not before started_at; uniqueness: order_id not seen before among those orders;
--   consistency: the order's material exists in the plant's material master and its work center in the
--   work-center master of the same as_of.
{{ config(
    materialized=materialized_deleting_incremental(),
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mdq_delete_stale() }}"
) }}
-- Incremental by as_of (macros/mdq_incremental.sql): a night computes only the MDQ dates not yet held.
-- depends_on: {{ ref('int_mdq_input_fingerprint') }}
with rows_as_of as (
    select
        as_of_dates.as_of,
        orders.*,
        orders.source_file || ':' || cast(orders.source_row as string) as record_id
    from {{ ref('stg_erp__production_orders') }} as orders
    inner join {{ mdq_as_of_dates() }} as as_of_dates
        on orders.extract_date <= as_of_dates.as_of
        and orders.extract_date > {{ shift_months('as_of_dates.as_of', -3) }}
),

materials as (
    select distinct as_of, plant_id, material_id
    from ({{ mdq_snapshot_as_of('stg_erp__materials_history') }}) as m
),

work_centers as (
    select distinct as_of, plant_id, work_center_id
    from ({{ mdq_snapshot_as_of('stg_erp__work_centers_history') }}) as w
),

joined as (
    select
        rows_as_of.*,
        materials.material_id is not null as material_exists,
        work_centers.work_center_id is not null as work_center_exists,
        row_number() over (partition by rows_as_of.as_of, rows_as_of.order_id order by rows_as_of.record_id)
            as key_occurrence
    from rows_as_of
    left join materials
        on materials.as_of = rows_as_of.as_of and materials.plant_id = rows_as_of.plant_id
        and materials.material_id = rows_as_of.material_id
    left join work_centers
        on work_centers.as_of = rows_as_of.as_of and work_centers.plant_id = rows_as_of.plant_id
        and work_centers.work_center_id = rows_as_of.work_center_id
)
,

checks as (
{{ mdq_completeness_checks('production_orders', 'r.order_id') }}

union all
select as_of, plant_id, 'production_orders', record_id, order_id, 'validity', 'planned_qty_positive',
       planned_qty is null or planned_qty > 0, cast(planned_qty as string)
from joined
union all
select as_of, plant_id, 'production_orders', record_id, order_id, 'validity', 'yield_and_scrap_not_negative',
       coalesce(yield_qty, 0) >= 0 and coalesce(scrap_qty, 0) >= 0,
       cast(yield_qty as string) || ' / ' || cast(scrap_qty as string)
from joined
union all
select as_of, plant_id, 'production_orders', record_id, order_id, 'validity', 'finished_not_before_started',
       finished_at is null or started_at is null or finished_at >= started_at, cast(finished_at as string)
from joined
union all
select as_of, plant_id, 'production_orders', record_id, order_id, 'uniqueness', 'order_id_unique',
       key_occurrence = 1, order_id
from joined
union all
select as_of, plant_id, 'production_orders', record_id, order_id, 'consistency', 'material_in_master',
       material_id is null or material_exists, material_id
from joined
union all
select as_of, plant_id, 'production_orders', record_id, order_id, 'consistency', 'work_center_in_master',
       work_center_id is null or work_center_exists, work_center_id
from joined
)

select
    checks.*,
    (select fingerprint from {{ ref('int_mdq_input_fingerprint') }}) as inputs_fingerprint
from checks
