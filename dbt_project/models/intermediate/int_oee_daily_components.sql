-- ISO 22400-2 time components per work center × plant-local day, from the split state intervals.
-- PBT = RUNNING + SETUP + UNPLANNED_STOP; APT = RUNNING; ADOT = UNPLANNED_STOP; SUT = SETUP.
-- An UNPLANNED_STOP event is counted on the plant-local day it starts.
with pieces as (
    select * from {{ ref('int_machine_state_daily') }}
),

reason_catalogue as (
    select distinct plant_id, reason_code from {{ ref('stg_mes__reason_codes') }}
)

select
    pieces.plant_id,
    pieces.work_center_id,
    pieces.day,
    sum(case when pieces.state in ('RUNNING', 'SETUP', 'UNPLANNED_STOP') then pieces.duration_s else 0 end) as pbt_s,
    sum(case when pieces.state = 'RUNNING' then pieces.duration_s else 0 end) as apt_s,
    sum(case when pieces.state = 'UNPLANNED_STOP' then pieces.duration_s else 0 end) as adot_s,
    sum(case when pieces.state = 'SETUP' then pieces.duration_s else 0 end) as sut_s,
    sum(case when pieces.state = 'PLANNED_STOP' then pieces.duration_s else 0 end) as planned_stop_s,
    sum(case when pieces.state = 'NO_ORDER' then pieces.duration_s else 0 end) as no_order_s,
    sum(case when pieces.state = 'UNPLANNED_STOP' and pieces.is_interval_start_day then 1 else 0 end)
        as unplanned_stop_events,
    sum(
        case when pieces.state = 'UNPLANNED_STOP' and reason_catalogue.reason_code is not null
            then pieces.duration_s else 0 end
    ) as adot_with_valid_reason_s
from pieces
left join reason_catalogue
    on reason_catalogue.plant_id = pieces.plant_id
    and reason_catalogue.reason_code = pieces.reason_code
group by 1, 2, 3
