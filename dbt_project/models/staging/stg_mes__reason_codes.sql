-- Each plant's standard downtime reason catalogue. Staging view over raw.reason_codes: the latest snapshot per source system.
-- A snapshot entity: each extract is complete, so only the newest one per source system is current.
select *
from {{ ref('stg_mes__reason_codes_history') }}
qualify extract_date = max(extract_date) over (partition by source_system)
