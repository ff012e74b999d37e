-- Plants with the company that owns them and their IANA time zone. Staging view over raw.plants: the latest snapshot per source system.
with source as (
    select * from {{ source('raw', 'plants') }}
    -- a snapshot entity: each extract is complete, so only the newest one per source system is current
    qualify _extract_date = max(_extract_date) over (partition by _source)
),

renamed as (
    select
        plant_id,
        plant_name,
        company,
        country,
        timezone,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select * from renamed
