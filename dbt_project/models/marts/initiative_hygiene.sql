-- Roadmap hygiene per initiative as of the readiness date (SPEC §4 "Roadmap hygiene"):
--   wishlist               any of the four answers missing: capability_enabled, outcome_kpi + outcome_target,
--                          dependencies, exit_criteria
--   change_under_budgeted  change_budget / license_budget < 1.5 (null when there is no licence budget)
--   no_sunset              no system in the landscape retired by it (systems.replaced_by_initiative, retired by as_of)
--   wave_skipped           a wave-N pilot (N >= 2) started at a plant before that plant passed gate N-1 -> N, judged
--                          on the verdict in force at the pilot's start (SPEC §4): the plant's latest readiness
--                          evaluation on or before its start date (marts.readiness_timeline: the month ends since the
--                          earliest data and every night) had it below wave N. A pilot started before its plant's first
--                          evaluation cannot be judged: it counts as not evaluable (wave_skip_not_evaluable_pilots),
--                          never as skipped or not skipped by a guess.
--   big_bang               its first pilot is scoped beyond one line, or its pilots started at >= 3 plants within
--                          90 days
with as_of as (
    select {{ as_of_date() }} as as_of
),

initiatives as (
    select * from {{ ref('stg_pilots__initiatives') }}
),

pilots as (
    select pilots.*, initiatives.wave
    from {{ ref('stg_pilots__pilots') }} as pilots
    cross join as_of
    left join initiatives on pilots.initiative_id = initiatives.initiative_id
    where pilots.started_on <= as_of.as_of
),

retired_systems as (
    select systems.replaced_by_initiative as initiative_id, count(*) as systems_retired
    from {{ ref('stg_pilots__systems') }} as systems, as_of
    where systems.replaced_by_initiative is not null
        and (systems.retired_on <= as_of.as_of or (systems.retired_on is null and systems.status = 'retired'))
    group by systems.replaced_by_initiative
),

evaluations as (
    select plant_id, as_of, current_wave from {{ ref('readiness_timeline') }}
),

verdict_at_start as (
    -- each wave-2+ pilot with its plant's wave on the latest evaluation on or before its start (null: none yet)
    select
        later.initiative_id,
        later.pilot_id,
        later.wave,
        (
            select evaluations.current_wave
            from evaluations
            where evaluations.plant_id = later.plant_id and evaluations.as_of <= later.started_on
            order by evaluations.as_of desc
            limit 1
        ) as wave_at_start
    from pilots as later
    where later.wave >= 2
),

skipping_pilots as (
    select
        initiative_id,
        count(*) filter (where wave_at_start < wave) as wave_skipping_pilots,
        count(*) filter (where wave_at_start is null) as wave_skip_not_evaluable_pilots
    from verdict_at_start
    group by initiative_id
),

first_pilot as (
    select initiative_id, first_pilot_scope
    from (
        select
            initiative_id, scope as first_pilot_scope,
            row_number() over (partition by initiative_id order by started_on, pilot_id) as pilot_order
        from pilots
    ) as numbered
    where pilot_order = 1
),

plants_within_90_days as (
    -- most distinct plants whose pilots of the initiative started within 90 days of one pilot's start
    select initiative_id, max(plants) as max_plants_started_within_90_days
    from (
        select first.initiative_id, first.pilot_id, count(distinct other.plant_id) as plants
        from pilots as first
        inner join pilots as other
            on first.initiative_id = other.initiative_id
            and other.started_on between first.started_on and first.started_on + 90
        group by first.initiative_id, first.pilot_id
    )
    group by initiative_id
),

flags as (
    select
        initiatives.company,
        initiatives.initiative_id,
        initiatives.name as initiative_name,
        initiatives.wave,
        as_of.as_of,
        {{ is_blank('initiatives.capability_enabled') }}
            or {{ is_blank('initiatives.outcome_kpi') }}
            or {{ is_blank('initiatives.outcome_target') }}
            or {{ is_blank('initiatives.dependencies') }}
            or {{ is_blank('initiatives.exit_criteria') }} as wishlist,
        {{ safe_divide('initiatives.change_budget', 'initiatives.license_budget') }} as change_multiple_budgeted,
        coalesce(retired_systems.systems_retired, 0) as systems_retired,
        coalesce(skipping_pilots.wave_skipping_pilots, 0) as wave_skipping_pilots,
        coalesce(skipping_pilots.wave_skip_not_evaluable_pilots, 0) as wave_skip_not_evaluable_pilots,
        first_pilot.first_pilot_scope,
        coalesce(plants_within_90_days.max_plants_started_within_90_days, 0) as max_plants_started_within_90_days
    from initiatives
    cross join as_of
    left join retired_systems on initiatives.initiative_id = retired_systems.initiative_id
    left join skipping_pilots on initiatives.initiative_id = skipping_pilots.initiative_id
    left join first_pilot on initiatives.initiative_id = first_pilot.initiative_id
    left join plants_within_90_days on initiatives.initiative_id = plants_within_90_days.initiative_id
)

select
    cast(company as string) as company,
    cast(initiative_id as string) as initiative_id,
    cast(initiative_name as string) as initiative_name,
    cast(wave as bigint) as wave,
    cast(as_of as date) as as_of,
    cast(wishlist as boolean) as wishlist,
    cast(change_multiple_budgeted < 1.5 as boolean) as change_under_budgeted,
    cast(systems_retired = 0 as boolean) as no_sunset,
    cast(wave_skipping_pilots > 0 as boolean) as wave_skipped,
    cast(coalesce(first_pilot_scope <> 'line', false) or max_plants_started_within_90_days >= 3 as boolean) as big_bang,
    cast(change_multiple_budgeted as double) as change_multiple_budgeted,
    cast(systems_retired as bigint) as systems_retired,
    cast(wave_skipping_pilots as bigint) as wave_skipping_pilots,
    cast(wave_skip_not_evaluable_pilots as bigint) as wave_skip_not_evaluable_pilots,
    cast(first_pilot_scope as string) as first_pilot_scope,
    cast(max_plants_started_within_90_days as bigint) as max_plants_started_within_90_days
from flags
