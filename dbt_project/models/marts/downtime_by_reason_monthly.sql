-- Unplanned downtime per plant × work center × month × reason code: the Pareto behind reason coverage (SPEC §4).
-- is_catalogued_reason says whether the code exists in the plant's reason catalogue (stg_mes__reason_codes);
-- a missing code is reported as reason_code null. Months are plant-local (from int_machine_state_daily).
-- Incremental by work center × calendar month: a run deletes and recomputes the months of each work center holding a
-- day this run's loads (or a change of the plant's reason catalogue or master data) touched.
{%- set affected = ['machine_states', 'plant_timezone', 'reason_catalogue', 'oee_master'] %}
{{ config(
    materialized=materialized_deleting_incremental(),
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mes_delete_affected_rows(" ~ affected ~ ",
                                          'month', months=true) }}"
) }}
-- depends_on: {{ ref('int_mes_load_footprint') }}
with stops as (
    select
        pieces.plant_id,
        pieces.work_center_id,
        cast(date_trunc('month', pieces.day) as date) as month,
        pieces.reason_code,
        pieces.duration_s,
        pieces.interval_starts
    from {{ ref('int_machine_state_daily') }} as pieces
    where pieces.state = 'UNPLANNED_STOP'
    {%- if is_incremental() %}
        and {{ mes_in_affected(affected, 'pieces', 'pieces.day', months=true) }}
    {%- endif %}
),

catalogue as (
    select distinct plant_id, reason_code, category from {{ ref('stg_mes__reason_codes') }}
),

plants as (
    select plant_id, company from {{ ref('stg_erp__plants') }}
)

select
    cast(plants.company as string) as company,
    cast(stops.plant_id as string) as plant_id,
    cast(stops.work_center_id as string) as work_center_id,
    cast(stops.month as date) as month,
    cast(stops.reason_code as string) as reason_code,
    cast(catalogue.category as string) as reason_category,
    cast(catalogue.reason_code is not null as boolean) as is_catalogued_reason,
    cast(sum(stops.duration_s) as double) as adot_s,
    cast(sum(stops.interval_starts) as bigint) as unplanned_stop_events
from stops
left join catalogue
    on catalogue.plant_id = stops.plant_id
    and catalogue.reason_code = stops.reason_code
left join plants on plants.plant_id = stops.plant_id
group by 1, 2, 3, 4, 5, 6, 7
