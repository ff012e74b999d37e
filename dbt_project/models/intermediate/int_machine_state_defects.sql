-- The state intervals that are defects (SPEC §4) and how each was handled; one row per defective interval.
select
    plant_id,
    work_center_id,
    started_at,
    ended_at,
    state,
    reason_code,
    source_system,
    extract_date,
    defect_type,
    case
        when defect_type = 'overlap_clipped' then 'clipped'
        else 'excluded'
    end as handling,
    recorded_s,
    counted_s,
    recorded_s - counted_s as dropped_s
from {{ ref('int_machine_state_intervals_cleaned') }}
where defect_type is not null and defect_type <> 'zero_duration'
