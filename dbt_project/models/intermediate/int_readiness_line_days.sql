-- One row per plant × line × plant-local day on which the line has any MES record, with the two day-level facts
-- the readiness gates count (definitions, SPEC §5):
--   has_mes_data  the line has MES data on the day = at least one of its work centers has a machine-state interval
--                 on that plant-local day (fct_oee_daily.has_machine_states).
--   has_oee       OEE is available for the line on the day = the line-level daily OEE (oee_rollup, level 'line',
--                 grain 'day': ratio of the summed components of its work centers) is not null, i.e. the line had
--                 planned busy time, actual production time and production counts with an ideal cycle time.
with work_center_days as (
    select plant_id, line_id, day, has_machine_states
    from {{ ref('fct_oee_daily') }}
    where line_id is not null
),

line_oee as (
    select plant_id, line_id, period_start as day, oee
    from {{ ref('oee_rollup') }}
    where level = 'line' and grain = 'day' and line_id is not null
),

line_days as (
    select plant_id, line_id, day, bool_or(has_machine_states) as has_mes_data
    from work_center_days
    group by plant_id, line_id, day
)

select
    line_days.plant_id,
    line_days.line_id,
    line_days.day,
    coalesce(line_days.has_mes_data, false) as has_mes_data,
    line_oee.oee is not null as has_oee
from line_days
left join line_oee
    on line_oee.plant_id = line_days.plant_id
    and line_oee.line_id = line_days.line_id
    and line_oee.day = line_days.day
