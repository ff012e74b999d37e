-- Bill of materials lines. Staging view over raw.bom: the latest snapshot per source system.
-- A snapshot entity: each extract is complete, so only the newest one per source system is current.
select *
from {{ ref('stg_erp__bom_history') }}
qualify extract_date = max(extract_date) over (partition by source_system)
