-- Machine state intervals from MES. Staging view over raw.machine_states: every extract (event entity).
with source as (
    select * from {{ source('raw', 'machine_states') }}
),

renamed as (
    select
        plant_id,
        work_center_id,
        started_at,
        ended_at,
        state,
        reason_code,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select * from renamed
