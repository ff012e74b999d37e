-- What changed between the last two published nights (audit.nightly_snapshot), one row per change:
--   plant_newly_passing       the plant's wave rose: it passes a gate it failed the night before
--   plant_newly_blocked       its wave fell, or its verdict became 'blocked' at the same wave
--   criterion_now_passing     a plant's criterion crossed its threshold to passed (from failed or not evaluated)
--   criterion_now_failing     ... from passed to failed or not evaluated
--   pilot_entered_purgatory   a pilot's status became 'stalled' (marts.pilot_purgatory)
--   pilot_left_purgatory      a stalled pilot is now scaled, stopped, running again or gone from the register
--   initiative_newly_flagged  an initiative raised a hygiene flag it did not have (before/after: its flags)
-- Empty until two nights are kept.
with nights as (
    select night_id, max(night_at) as night_at, any_value(as_of) as as_of
    from {{ ref('nightly_snapshot') }}
    group by night_id
),

ranked as (
    select *, row_number() over (order by night_at desc, night_id desc) as recency from nights
),

tonight as (
    select snapshot.* from {{ ref('nightly_snapshot') }} as snapshot
    inner join ranked on ranked.night_id = snapshot.night_id and ranked.recency = 1
),

last_night as (
    select snapshot.* from {{ ref('nightly_snapshot') }} as snapshot
    inner join ranked on ranked.night_id = snapshot.night_id and ranked.recency = 2
),

pairs as (
    select
        coalesce(tonight.kind, last_night.kind) as kind,
        coalesce(tonight.company, last_night.company) as company,
        coalesce(tonight.plant_id, last_night.plant_id) as plant_id,
        coalesce(tonight.gate, last_night.gate) as gate,
        coalesce(tonight.subject, last_night.subject) as subject,
        coalesce(tonight.label, last_night.label) as label,
        last_night.state as state_before,
        tonight.state as state_after,
        last_night.wave as wave_before,
        tonight.wave as wave_after,
        last_night.shown as shown_before,
        tonight.shown as shown_after,
        last_night.night_id is not null as in_before,
        tonight.night_id is not null as in_tonight
    from tonight
    full outer join last_night
        on last_night.kind = tonight.kind
        and last_night.plant_id is not distinct from tonight.plant_id
        and last_night.gate is not distinct from tonight.gate
        and last_night.subject = tonight.subject
    where exists (select 1 from ranked where recency = 2)
),

changes as (
    select
        case
            when kind = 'plant' and wave_after > wave_before then 'plant_newly_passing'
            when kind = 'plant' and (wave_after < wave_before
                or (wave_after = wave_before and state_after = 'blocked' and coalesce(state_before, '') <> 'blocked'))
                then 'plant_newly_blocked'
            when kind = 'criterion' and state_after = 'passed' and state_before <> 'passed' then 'criterion_now_passing'
            when kind = 'criterion' and state_before = 'passed' and state_after <> 'passed' then 'criterion_now_failing'
            when kind = 'pilot' and state_after = 'stalled' and coalesce(state_before, '') <> 'stalled'
                then 'pilot_entered_purgatory'
            when kind = 'pilot' and state_before = 'stalled' and coalesce(state_after, '') <> 'stalled'
                then 'pilot_left_purgatory'
            when kind = 'initiative' and in_before and in_tonight and state_after <> 'none'
                and not {{ listed_all("state_before", "state_after", "', '") }}
                then 'initiative_newly_flagged'
        end as change_type,
        *
    from pairs
    where in_before and in_tonight or kind = 'pilot'
)

select
    cast((select as_of from ranked where recency = 1) as date) as as_of,
    cast((select as_of from ranked where recency = 2) as date) as previous_as_of,
    cast(change_type as string) as change_type,
    cast(company as string) as company,
    cast(plant_id as string) as plant_id,
    cast(gate as string) as gate,
    cast(subject as string) as subject,
    cast(label as string) as label,
    cast(coalesce(shown_before, 'not in the register') as string) as before_value,
    cast(coalesce(shown_after, 'not in the register') as string) as after_value
from changes
where change_type is not null
