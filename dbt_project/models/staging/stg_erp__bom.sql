-- Bill of materials lines. Staging view over raw.bom: the latest snapshot per source system.
with source as (
    select * from {{ source('raw', 'bom') }}
    -- a snapshot entity: each extract is complete, so only the newest one per source system is current
    qualify _extract_date = max(_extract_date) over (partition by _source)
),

renamed as (
    select
        plant_id,
        parent_material_id,
        component_material_id,
        quantity,
        uom,
        -- lineage
        _source as source_system,
        _extract_date as extract_date,
        _file as source_file,
        _row as source_row,
        _load_id as load_id
    from source
)

select
    renamed.*,
    plants.company
from renamed
-- company is one join away: the current plants master (null for a plant the master lacks)
left join {{ ref('stg_erp__plants') }} as plants on renamed.plant_id = plants.plant_id
