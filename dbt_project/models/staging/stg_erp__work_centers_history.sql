-- Work centers (machines or cells) grouped into lines. Staging view over raw.work_centers: every snapshot (one row per key and extract).
with source as (
    select * from {{ source('raw', 'work_centers') }}
),

renamed as (
    select
        work_center_id,
        plant_id,
        line_id,
        description,
        is_bottleneck,
        ideal_cycle_time_s,
        criticality,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select * from renamed
