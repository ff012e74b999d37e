-- Every status change of every pilot. Staging view over raw.pilot_status_log: the latest snapshot per source system.
with source as (
    -- a snapshot entity: each extract is complete, so only the newest one per source system is current
    select *
    from {{ latest_snapshot(source('raw', 'pilot_status_log'), '_source', '_extract_date') }} as latest_snapshot
),

renamed as (
    select
        pilot_id,
        status_on,
        status,
        note,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select * from renamed
