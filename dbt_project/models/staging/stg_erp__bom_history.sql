-- Bill of materials lines. Staging view over raw.bom: every snapshot (one row per key and extract).
with source as (
    select * from {{ source('raw', 'bom') }}
),

renamed as (
    select
        plant_id,
        parent_material_id,
        component_material_id,
        quantity,
        uom,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select * from renamed
