-- The application landscape: which systems are active and which were retired by which initiative. Staging view over raw.systems: the latest snapshot per source system.
with source as (
    -- a snapshot entity: each extract is complete, so only the newest one per source system is current
    select *
    from {{ latest_snapshot(source('raw', 'systems'), '_source', '_extract_date') }} as latest_snapshot
),

renamed as (
    select
        system_id,
        plant_id,
        name,
        category,
        status,
        retired_on,
        replaced_by_initiative,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select * from renamed
