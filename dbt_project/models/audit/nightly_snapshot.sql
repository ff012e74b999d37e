-- What each published night looked like, kept so marts.nightly_changes can say what changed between the last two
-- nights even when both evaluated the same readiness date (a corrected extract re-run for the same day). One row per
-- night × subject, as of the night's readiness date (macro as_of_date()):
--   kind 'plant'       state = verdict, wave = current wave (audit.readiness_history)
--   kind 'criterion'   state = status ('passed', 'failed', 'not evaluated') of each plant × gate × criterion
--   kind 'pilot'       state = the pilot's status that day ('stalled' = in pilot purgatory; int_pilot_status_as_of)
--   kind 'initiative'  state = its raised hygiene flags, ', '-separated in a fixed order, or 'none'
-- shown is the state in words for the report (value in the criterion's unit, 'wave 3, can advance', ...).
-- Appended once per dbt build that runs it (night_id = dbt's invocation id; a night with nothing new skips it). The
-- working copy starts as a copy of the published warehouse and a failed run is never published, so every night kept
-- here is a published one.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns'
) }}
with night as (
    select
        cast('{{ invocation_id }}' as string) as night_id,
        cast(current_timestamp as timestamp) as night_at,
        {{ as_of_date() }} as as_of
),

history as (
    select history.*
    from {{ ref('readiness_history') }} as history
    inner join night on night.as_of = history.as_of
),

plant_names as (
    select plant_id, plant_name from {{ ref('stg_erp__plants') }}
),

plants as (
    select distinct history.company, history.plant_id, history.current_wave, history.verdict
    from history
),

pilots as (
    select company, plant_id, pilot_id, pilot_name, status_as_of from {{ ref('int_pilot_status_as_of') }}
),

initiatives as (
    select
        company,
        initiative_id,
        initiative_name,
        concat_ws(', ',
            case when wishlist then 'wishlist' end,
            case when change_under_budgeted then 'change under-budgeted' end,
            case when no_sunset then 'no sunset' end,
            case when wave_skipped then 'wave skipped' end,
            case when big_bang then 'big bang' end) as flags
    from {{ ref('initiative_hygiene') }}
),

snapshot as (
    select
        'plant' as kind, plants.company, plants.plant_id, cast(null as string) as gate, plants.plant_id as subject,
        coalesce(plant_names.plant_name, plants.plant_id) as label, plants.verdict as state,
        plants.current_wave as wave, 'wave ' || plants.current_wave || ', ' || coalesce(plants.verdict, 'no verdict')
            as shown
    from plants
    left join plant_names on plant_names.plant_id = plants.plant_id

    union all

    select
        'criterion', company, plant_id, gate, criterion, coalesce(label, criterion), status, cast(null as integer),
        {{ format_in_unit('value', 'unit') }}
    from history

    union all

    select 'pilot', company, plant_id, null, pilot_id, coalesce(pilot_name, pilot_id), status_as_of, null, status_as_of
    from pilots

    union all

    select
        'initiative', company, null, null, initiative_id, coalesce(initiative_name, initiative_id),
        coalesce(nullif(flags, ''), 'none'), null, coalesce(nullif(flags, ''), 'none')
    from initiatives
)

select
    night.night_id,
    night.night_at,
    cast(night.as_of as date) as as_of,
    cast(snapshot.kind as string) as kind,
    cast(snapshot.company as string) as company,
    cast(snapshot.plant_id as string) as plant_id,
    cast(snapshot.gate as string) as gate,
    cast(snapshot.subject as string) as subject,
    cast(snapshot.label as string) as label,
    cast(snapshot.state as string) as state,
    cast(snapshot.wave as integer) as wave,
    cast(snapshot.shown as string) as shown
from snapshot
cross join night
