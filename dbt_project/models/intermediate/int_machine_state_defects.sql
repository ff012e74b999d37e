-- The MES state intervals that count less than they record (SPEC §4), one row per defective interval, with how each
-- was handled. A view: nothing is written at night; an analyst reading it computes it (the overlap rule is
-- int_machine_state_daily's, from macro mes_counted_pieces).
{{ config(materialized='view') }}
with states as (
    select
        states.*,
        plants.plant_id is not null as is_known_plant
    from {{ ref('stg_mes__machine_states') }} as states
    left join (select distinct plant_id from {{ ref('stg_erp__plants') }}) as plants
        on plants.plant_id = states.plant_id
),

ordered as (
    select
        plant_id, work_center_id, started_at, ended_at, state, reason_code,
        row_number() over work_center_order as interval_seq,
        lead(started_at) over work_center_order as next_started_at
    from states
    where ended_at > started_at
    window work_center_order as (
        partition by plant_id, work_center_id order by started_at, ended_at, state, reason_code
    )
),

counted as (
    select
        plant_id, work_center_id, interval_seq,
        sum({{ seconds_between('piece_started_at', 'piece_ended_at') }}) as counted_s
    from {{ mes_counted_pieces('ordered') }}
    group by plant_id, work_center_id, interval_seq
),

-- the positive intervals again with their lineage, in the same order (identical rows may swap: they are identical)
positive as (
    select
        states.*,
        row_number() over (
            partition by plant_id, work_center_id order by started_at, ended_at, state, reason_code
        ) as interval_seq
    from states
    where ended_at > started_at
),

classified as (
    select
        positive.plant_id, positive.work_center_id, positive.started_at, positive.ended_at, positive.state,
        positive.reason_code, positive.source_system, positive.extract_date,
        {{ seconds_between('positive.started_at', 'positive.ended_at') }} as recorded_s,
        case when positive.is_known_plant then coalesce(counted.counted_s, 0) else 0 end as counted_s,
        case
            when not positive.is_known_plant then 'unknown_plant'
            when counted.counted_s is null then 'overlap_excluded'
            when counted.counted_s < {{ seconds_between('positive.started_at', 'positive.ended_at') }}
                then 'overlap_clipped'
        end as defect_type
    from positive
    left join counted
        on counted.plant_id = positive.plant_id
        and counted.work_center_id = positive.work_center_id
        and counted.interval_seq = positive.interval_seq
    union all
    select
        plant_id, work_center_id, started_at, ended_at, state, reason_code, source_system, extract_date,
        {{ seconds_between('started_at', 'ended_at') }} as recorded_s,
        0 as counted_s,
        'negative_duration' as defect_type
    from states
    where ended_at < started_at
)

select
    cast(plant_id as string) as plant_id,
    cast(work_center_id as string) as work_center_id,
    started_at,
    ended_at,
    cast(state as string) as state,
    cast(reason_code as string) as reason_code,
    cast(source_system as string) as source_system,
    extract_date,
    cast(defect_type as string) as defect_type,
    cast(case when defect_type = 'overlap_clipped' then 'clipped' else 'excluded' end as string) as handling,
    cast(recorded_s as double) as recorded_s,
    cast(counted_s as double) as counted_s,
    cast(recorded_s - counted_s as double) as dropped_s
from classified
where defect_type is not null
