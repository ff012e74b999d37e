-- Cost-ledger spend per company and posting year (marts.spend_by_year); the year as text so charts treat it as a category.
select
    company,
    cast(posting_year as varchar) as posting_year,
    currency,
    total_spend,
    license_spend,
    change_multiple
from marts.spend_by_year
order by company, posting_year
