-- Maintainable equipment; criticality A/B/C. Staging view over raw.equipment: every snapshot (one row per key and extract).
with source as (
    select * from {{ source('raw', 'equipment') }}
),

renamed as (
    select
        equipment_id,
        plant_id,
        work_center_id,
        equipment_type,
        criticality,
        install_date,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select * from renamed
