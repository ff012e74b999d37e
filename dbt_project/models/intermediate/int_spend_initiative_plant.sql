-- Cost-ledger spend up to the readiness date per initiative × plant × category. A posting with a plant stays with
-- that plant (direct_spend); a posting with an initiative but no plant is shared equally among the plants the
-- initiative has reached (int_initiative_plants; shared_spend). Plant-less spend of an initiative that has reached
-- no plant keeps plant_id null. Postings without an initiative are not roadmap spend by initiative (they still count
-- in spend_by_category).
with as_of as (
    select {{ as_of_date() }} as as_of
),

ledger as (
    select ledger.*
    from {{ ref('stg_erp__cost_ledger') }} as ledger, as_of
    where ledger.posting_date <= as_of.as_of and ledger.initiative_id is not null
),

reach as (
    select * from {{ ref('int_initiative_plants') }}
),

direct as (
    select initiative_id, plant_id, category, sum(amount) as direct_spend, 0.0 as shared_spend
    from ledger
    where plant_id is not null
    group by initiative_id, plant_id, category
),

shared as (
    select
        ledger.initiative_id,
        reach.plant_id,
        ledger.category,
        0.0 as direct_spend,
        sum(ledger.amount) / coalesce(max(reach.plants_reached), 1) as shared_spend
    from ledger
    left join reach on ledger.initiative_id = reach.initiative_id
    where ledger.plant_id is null
    group by ledger.initiative_id, reach.plant_id, ledger.category
),

combined as (
    select * from direct
    union all
    select * from shared
)

select
    initiative_id,
    plant_id,
    category,
    sum(direct_spend) as direct_spend,
    sum(shared_spend) as shared_spend,
    sum(direct_spend) + sum(shared_spend) as spend
from combined
group by initiative_id, plant_id, category
