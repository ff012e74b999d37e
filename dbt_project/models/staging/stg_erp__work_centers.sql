-- Work centers (machines or cells) grouped into lines. Staging view over raw.work_centers: the latest snapshot per source system.
-- A snapshot entity: each extract is complete, so only the newest one per source system is current.
select *
from {{ latest_snapshot(ref('stg_erp__work_centers_history')) }} as latest_snapshot
