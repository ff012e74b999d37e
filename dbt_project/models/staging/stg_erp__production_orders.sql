-- Production orders with confirmed yield and scrap. Staging view over raw.production_orders: every extract (event entity).
with source as (
    select * from {{ source('raw', 'production_orders') }}
),

renamed as (
    select
        order_id,
        plant_id,
        work_center_id,
        material_id,
        planned_qty,
        yield_qty,
        scrap_qty,
        started_at,
        finished_at,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select * from renamed
