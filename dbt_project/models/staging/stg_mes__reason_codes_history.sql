-- Each plant's standard downtime reason catalogue. Staging view over raw.reason_codes: every snapshot (one row per key and extract).
with source as (
    select * from {{ source('raw', 'reason_codes') }}
),

renamed as (
    select
        plant_id,
        reason_code,
        category,
        description,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select * from renamed
