-- Each plant's standard downtime reason catalogue. Staging view over raw.reason_codes: the latest snapshot per source system.
-- A snapshot entity: each extract is complete, so only the newest one per source system is current.
select *
from {{ latest_snapshot(ref('stg_mes__reason_codes_history')) }} as latest_snapshot
