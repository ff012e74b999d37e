-- Cost postings against roadmap initiatives. Staging view over raw.cost_ledger: every extract (event entity).
with source as (
    select * from {{ source('raw', 'cost_ledger') }}
),

renamed as (
    select
        posting_id,
        posting_date,
        initiative_id,
        plant_id,
        category,
        amount,
        currency,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select * from renamed
