-- Maintainable equipment; criticality A/B/C. Staging view over raw.equipment: the latest snapshot per source system.
-- A snapshot entity: each extract is complete, so only the newest one per source system is current.
select *
from {{ ref('stg_erp__equipment_history') }}
qualify extract_date = max(extract_date) over (partition by source_system)
