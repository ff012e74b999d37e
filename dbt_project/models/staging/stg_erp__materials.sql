-- Plant-level material master. Staging view over raw.materials: the latest snapshot per source system.
-- A snapshot entity: each extract is complete, so only the newest one per source system is current.
select *
from {{ ref('stg_erp__materials_history') }}
qualify extract_date = max(extract_date) over (partition by source_system)
