-- Plants with the company that owns them and their IANA time zone. Staging view over raw.plants: every snapshot (one row per key and extract).
with source as (
    select * from {{ source('raw', 'plants') }}
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
