-- Plant-level material master. Staging view over raw.materials: every snapshot (one row per key and extract).
with source as (
    select * from {{ source('raw', 'materials') }}
),

renamed as (
    select
        plant_id,
        material_id,
        material_type,
        base_uom,
        description,
        standard_cost,
        lead_time_days,
        procurement_type,
        changed_at,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select * from renamed
