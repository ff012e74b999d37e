-- Readiness gates, step 3: each plant's wave per evaluation date (SPEC §5, §6).
--   gate_<n>_<n+1>_passed  every criterion of that gate passed (readiness_criteria)
--   current_wave           the highest wave whose gates the plant has passed in order (wave 1 at least): 1 + the
--                          number of consecutive gates passed starting at 1 -> 2
--   next_wave              current_wave + 1 (null at wave 4)
--   blocking_gate          the gate current_wave -> next_wave, which the plant fails (null at wave 4)
--   ready                  true when no gate blocks the plant (it passes every gate in order, current_wave = 4).
--                          A plant below wave 4 is by definition blocked at its next gate; ask "may it start wave
--                          N?" with is_cleared_for_wave_<N> or `opsready gate --plant ID --wave N`.
--   failing_criteria       the blocking gate's failing criteria: "name: value vs comparator threshold" or the reason
--   started_wave           the highest wave of any initiative that has reached the plant by as_of (pilot started,
--                          benefit measured or cost posted there; int_readiness_initiative_reach), wave 1 at least
--   verdict                (defined in config/gates.yaml)
--                            'at top wave'  current_wave 4: every gate passed, no further wave
--                            'can advance'  current_wave > started_wave: it passed the gate into a wave it has not
--                                           started, so it may start wave started_wave + 1 now (advance_to_wave)
--                            'blocked'      otherwise: it works at or beyond its current wave and the next gate fails
--   blocked_by             when blocked: labels of the next gate's failed and not-evaluated criteria, ', '-separated
with criteria as (
    select * from {{ ref('readiness_criteria') }}
),

plants as (
    select plant_id, plant_name from {{ ref('stg_erp__plants') }}
),

reach as (
    select plant_id, wave, first_reached_on from {{ ref('int_readiness_initiative_reach') }}
),

gates as (
    select
        company,
        plant_id,
        as_of,
        bool_and(passed) filter (where gate_from = 1) as gate_1_2_passed,
        bool_and(passed) filter (where gate_from = 2) as gate_2_3_passed,
        bool_and(passed) filter (where gate_from = 3) as gate_3_4_passed
    from criteria
    group by company, plant_id, as_of
),

waves as (
    select
        *,
        case
            when not coalesce(gate_1_2_passed, false) then 1
            when not coalesce(gate_2_3_passed, false) then 2
            when not coalesce(gate_3_4_passed, false) then 3
            else 4
        end as current_wave
    from gates
),

failing as (
    select
        waves.plant_id,
        waves.as_of,
        count(*) as failing_criteria_count,
        {{ ordered_string_agg(
            "criteria.criterion || ': ' || coalesce(
                cast(round(criteria.value, 4) as string) || ' vs ' || criteria.comparator || ' '
                    || cast(criteria.threshold as string),
                'not evaluated (' || coalesce(criteria.not_evaluated_reason, 'no value') || ')')",
            "'; '", 'criteria.criterion_order') }} as failing_criteria
    from waves
    inner join criteria
        on criteria.plant_id = waves.plant_id
        and criteria.as_of = waves.as_of
        and criteria.gate_from = waves.current_wave
        and not criteria.passed
    group by waves.plant_id, waves.as_of
),

blocking as (
    select
        waves.plant_id,
        waves.as_of,
        {{ ordered_string_agg('criteria.label', "', '", 'criteria.criterion_order') }} as blocked_by
    from waves
    inner join criteria
        on criteria.plant_id = waves.plant_id
        and criteria.as_of = waves.as_of
        and criteria.gate_from = waves.current_wave
        and criteria.status <> 'passed'
    group by waves.plant_id, waves.as_of
),

started as (
    select
        waves.plant_id,
        waves.as_of,
        greatest(1, coalesce(max(reach.wave), 1)) as started_wave
    from waves
    left join reach on reach.plant_id = waves.plant_id and reach.first_reached_on <= waves.as_of
    group by waves.plant_id, waves.as_of
),

verdicts as (
    select
        waves.plant_id,
        waves.as_of,
        started.started_wave,
        case
            when waves.current_wave = 4 then 'at top wave'
            when waves.current_wave > started.started_wave then 'can advance'
            else 'blocked'
        end as verdict
    from waves
    inner join started on started.plant_id = waves.plant_id and started.as_of = waves.as_of
)

select
    cast(waves.company as string) as company,
    cast(waves.plant_id as string) as plant_id,
    cast(waves.as_of as date) as as_of,
    cast(waves.current_wave as integer) as current_wave,
    cast(case when waves.current_wave < 4 then waves.current_wave + 1 end as integer) as next_wave,
    cast(waves.current_wave = 4 as boolean) as ready,
    cast(case when waves.current_wave < 4
        then cast(waves.current_wave as string) || '->' || cast(waves.current_wave + 1 as string) end as string)
        as blocking_gate,
    cast(coalesce(waves.gate_1_2_passed, false) as boolean) as gate_1_2_passed,
    cast(coalesce(waves.gate_2_3_passed, false) as boolean) as gate_2_3_passed,
    cast(coalesce(waves.gate_3_4_passed, false) as boolean) as gate_3_4_passed,
    cast(waves.current_wave >= 2 as boolean) as is_cleared_for_wave_2,
    cast(waves.current_wave >= 3 as boolean) as is_cleared_for_wave_3,
    cast(waves.current_wave >= 4 as boolean) as is_cleared_for_wave_4,
    cast(coalesce(failing.failing_criteria_count, 0) as integer) as failing_criteria_count,
    cast(failing.failing_criteria as string) as failing_criteria,
    cast(plants.plant_name as string) as plant_name,
    cast(verdicts.started_wave as integer) as started_wave,
    cast(verdicts.verdict as string) as verdict,
    cast(case when verdicts.verdict = 'can advance' then verdicts.started_wave + 1 end as integer) as advance_to_wave,
    cast(case when verdicts.verdict = 'blocked' then blocking.blocked_by end as string) as blocked_by
from waves
left join failing on failing.plant_id = waves.plant_id and failing.as_of = waves.as_of
left join blocking on blocking.plant_id = waves.plant_id and blocking.as_of = waves.as_of
left join verdicts on verdicts.plant_id = waves.plant_id and verdicts.as_of = waves.as_of
left join plants on plants.plant_id = waves.plant_id
