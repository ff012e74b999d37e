-- Monthly shipped units and defects that escaped to customers, per work center. Staging view over raw.quality_escapes: every extract (event entity).
with source as (
    select * from {{ source('raw', 'quality_escapes') }}
),

renamed as (
    select
        plant_id,
        work_center_id,
        month,
        shipped_units,
        escaped_defects,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select * from renamed
