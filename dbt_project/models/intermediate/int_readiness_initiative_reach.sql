-- When each initiative reached each plant: its first pilot started there, benefit month measured there or cost
-- posted to the plant (as int_initiative_plants, but dated, so readiness can ask "had it reached the plant by D?"
-- for any evaluation date D).
with reach_events as (
    select initiative_id, plant_id, started_on as reached_on from {{ ref('stg_pilots__pilots') }}
    union all
    select initiative_id, plant_id, month from {{ ref('stg_pilots__benefit_log') }}
    union all
    select initiative_id, plant_id, posting_date from {{ ref('stg_erp__cost_ledger') }}
    where initiative_id is not null and plant_id is not null
)

select
    reach_events.initiative_id,
    reach_events.plant_id,
    initiatives.wave,
    min(reach_events.reached_on) as first_reached_on
from reach_events
left join {{ ref('stg_pilots__initiatives') }} as initiatives
    on initiatives.initiative_id = reach_events.initiative_id
where reach_events.initiative_id is not null and reach_events.plant_id is not null
    and reach_events.reached_on is not null
group by reach_events.initiative_id, reach_events.plant_id, initiatives.wave
