-- Plants with the company that owns them and their IANA time zone. Staging view over raw.plants: the latest snapshot per source system.
-- A snapshot entity: each extract is complete, so only the newest one per source system is current.
select *
from {{ latest_snapshot(ref('stg_erp__plants_history')) }} as latest_snapshot
