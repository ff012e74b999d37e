-- The plants each initiative has reached by the readiness date: a pilot started there, a benefit month measured
-- there, or a cost posted to it. planned_annual_benefit and plant-less spend are shared equally among them.
with as_of as (
    select {{ as_of_date() }} as as_of
),

reached as (
    select pilots.initiative_id, pilots.plant_id
    from {{ ref('stg_pilots__pilots') }} as pilots, as_of
    where pilots.started_on <= as_of.as_of

    union

    select benefit.initiative_id, benefit.plant_id
    from {{ ref('stg_pilots__benefit_log') }} as benefit, as_of
    where benefit.month <= as_of.as_of

    union

    select ledger.initiative_id, ledger.plant_id
    from {{ ref('stg_erp__cost_ledger') }} as ledger, as_of
    where ledger.posting_date <= as_of.as_of and ledger.initiative_id is not null and ledger.plant_id is not null
)

select
    initiative_id,
    plant_id,
    count(*) over (partition by initiative_id) as plants_reached
from reached
