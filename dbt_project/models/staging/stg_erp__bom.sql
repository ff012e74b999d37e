-- Bill of materials lines. Staging view over raw.bom: the latest snapshot per source system.
-- A snapshot entity: each extract is complete, so only the newest one per source system is current.
select *
from {{ latest_snapshot(ref('stg_erp__bom_history')) }} as latest_snapshot
