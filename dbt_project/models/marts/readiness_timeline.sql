-- Each plant's readiness over every date ever evaluated (audit.readiness_history): its wave, when it changed and
-- since when it has been blocked at its current gate.
--   previous_as_of / previous_wave  the plant's previous evaluated date and its wave then
--   wave_change                     'advanced' / 'fell back' versus the previous evaluated date, else null
--   wave_since                      first date of the current unbroken stretch at this wave
--   blocked_since                   = wave_since while the plant is below wave 4 (blocked at blocking_gate since)
--   verdict                         'can advance', 'blocked' or 'at top wave' that date (null on dates evaluated
--                                   before the verdict existed)
with plant_days as (
    select
        company,
        plant_id,
        as_of,
        any_value(current_wave) as current_wave,
        any_value(ready) as ready,
        any_value(verdict) as verdict,
        {{ ordered_string_agg('case when gate_from = current_wave and not passed then criterion end', "', '",
                              'criterion_order') }} as failing_criteria
    from {{ ref('readiness_history') }}
    group by company, plant_id, as_of
),

ordered as (
    select
        *,
        lag(as_of) over (partition by plant_id order by as_of) as previous_as_of,
        lag(current_wave) over (partition by plant_id order by as_of) as previous_wave
    from plant_days
),

streaks as (
    select
        *,
        sum(case when previous_wave is null or previous_wave <> current_wave then 1 else 0 end)
            over (partition by plant_id order by as_of rows unbounded preceding) as streak
    from ordered
)

select
    cast(company as string) as company,
    cast(plant_id as string) as plant_id,
    cast(as_of as date) as as_of,
    cast(current_wave as integer) as current_wave,
    cast(ready as boolean) as ready,
    cast(verdict as string) as verdict,
    cast(case when current_wave < 4 then current_wave || '->' || (current_wave + 1) end as string) as blocking_gate,
    cast(failing_criteria as string) as failing_criteria,
    cast(previous_as_of as date) as previous_as_of,
    cast(previous_wave as integer) as previous_wave,
    cast(case
        when current_wave > previous_wave then 'advanced'
        when current_wave < previous_wave then 'fell back'
    end as string) as wave_change,
    cast(min(as_of) over (partition by plant_id, streak) as date) as wave_since,
    cast(case when current_wave < 4 then min(as_of) over (partition by plant_id, streak) end as date) as blocked_since
from streaks
