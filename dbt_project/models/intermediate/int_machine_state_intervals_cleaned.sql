-- Every MES state interval with its defect classification and the part of it that counts.
-- Defects (SPEC §4: overlapping or negative intervals are defects; nothing is double counted):
--   negative_duration  ended_at < started_at            → excluded (0 s counted)
--   zero_duration      ended_at = started_at            → excluded (0 s, harmless)
--   unknown_plant      plant not in the plant master    → excluded (no time zone, no plant-local day)
--   overlap_clipped    starts before an earlier interval of the same work center has ended
--                      → its start is moved to that end (the earlier-starting interval keeps the time)
--   overlap_excluded   lies entirely inside earlier intervals → excluded (0 s counted)
-- Intervals are ordered by (started_at, ended_at, state, reason_code); identical rows re-delivered in
-- two extracts therefore count once (the second copy is overlap_excluded).
with states as (
    select
        plant_id,
        work_center_id,
        started_at,
        ended_at,
        state,
        reason_code,
        source_system,
        extract_date
    from {{ ref('stg_mes__machine_states') }}
),

plants as (
    select plant_id, timezone from {{ ref('stg_erp__plants') }}
),

positive as (
    select
        states.*,
        max(ended_at) over (
            partition by plant_id, work_center_id
            order by started_at, ended_at, state, reason_code
            rows between unbounded preceding and 1 preceding
        ) as previous_max_ended_at
    from states
    where ended_at > started_at
),

classified_positive as (
    select
        positive.*,
        case
            when previous_max_ended_at is null or previous_max_ended_at <= started_at then started_at
            when previous_max_ended_at >= ended_at then ended_at
            else previous_max_ended_at
        end as counted_started_at
    from positive
),

all_intervals as (
    select
        plant_id, work_center_id, started_at, ended_at, state, reason_code, source_system, extract_date,
        counted_started_at,
        case
            when counted_started_at >= ended_at then 'overlap_excluded'
            when counted_started_at > started_at then 'overlap_clipped'
        end as overlap_defect
    from classified_positive
    union all
    select
        plant_id, work_center_id, started_at, ended_at, state, reason_code, source_system, extract_date,
        ended_at as counted_started_at,
        case when ended_at < started_at then 'negative_duration' else 'zero_duration' end as overlap_defect
    from states
    where not (ended_at > started_at)
)

select
    all_intervals.plant_id,
    all_intervals.work_center_id,
    all_intervals.started_at,
    all_intervals.ended_at,
    all_intervals.state,
    all_intervals.reason_code,
    all_intervals.source_system,
    all_intervals.extract_date,
    plants.timezone,
    all_intervals.counted_started_at,
    case when plants.plant_id is null then 'unknown_plant' else all_intervals.overlap_defect end as defect_type,
    case
        when plants.plant_id is null then 0
        when all_intervals.counted_started_at >= all_intervals.ended_at then 0
        else {{ oee_seconds_between('all_intervals.counted_started_at', 'all_intervals.ended_at') }}
    end as counted_s,
    {{ oee_seconds_between('all_intervals.started_at', 'all_intervals.ended_at') }} as recorded_s
from all_intervals
left join plants on plants.plant_id = all_intervals.plant_id
