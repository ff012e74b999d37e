-- Roadmap initiatives with the four answers, budgets and planned benefit. Staging view over raw.initiatives: the latest snapshot per source system.
with source as (
    -- a snapshot entity: each extract is complete, so only the newest one per source system is current
    select *
    from {{ latest_snapshot(source('raw', 'initiatives'), '_source', '_extract_date') }} as latest_snapshot
),

renamed as (
    select
        initiative_id,
        company,
        name,
        technology,
        wave,
        capability_enabled,
        outcome_kpi,
        outcome_target,
        dependencies,
        exit_criteria,
        license_budget,
        change_budget,
        total_budget,
        planned_annual_benefit,
        systems_sunset,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select * from renamed
