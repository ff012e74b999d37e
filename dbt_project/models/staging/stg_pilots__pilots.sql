-- Pilots of initiatives at plants. Staging view over raw.pilots: the latest snapshot per source system.
with source as (
    -- a snapshot entity: each extract is complete, so only the newest one per source system is current
    select *
    from {{ latest_snapshot(source('raw', 'pilots'), '_source', '_extract_date') }} as latest_snapshot
),

renamed as (
    select
        pilot_id,
        initiative_id,
        plant_id,
        pilot_name,
        scope,
        work_center_id,
        started_on,
        planned_end_on,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select * from renamed
