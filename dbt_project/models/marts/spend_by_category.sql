-- Roadmap spend from the cost ledger by company, posting year, category and currency, up to the readiness date.
with as_of as (
    select {{ as_of_date() }} as as_of
),

ledger as (
    select ledger.*
    from {{ ref('stg_erp__cost_ledger') }} as ledger, as_of
    where ledger.posting_date <= as_of.as_of
),

initiatives as (
    select * from {{ ref('stg_pilots__initiatives') }}
),

plants as (
    select plant_id, company from {{ ref('stg_erp__plants') }}
)

select
    -- the initiative's company in the register; the plant's when the posting names no known initiative
    cast(coalesce(initiatives.company, plants.company) as string) as company,
    cast(year(ledger.posting_date) as bigint) as posting_year,
    cast(ledger.category as string) as category,
    cast(ledger.currency as string) as currency,
    cast(sum(ledger.amount) as double) as spend,
    cast(count(*) as bigint) as postings
from ledger
left join initiatives on ledger.initiative_id = initiatives.initiative_id
left join plants on plants.plant_id = ledger.plant_id
group by all
