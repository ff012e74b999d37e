-- Hourly produced, good and rejected quantities from MES. Staging view over raw.production_counts: every extract (event entity).
with source as (
    select * from {{ source('raw', 'production_counts') }}
),

renamed as (
    select
        plant_id,
        work_center_id,
        hour,
        material_id,
        produced_qty,
        good_qty,
        reject_qty,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select * from renamed
