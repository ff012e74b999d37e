-- Roadmap spend per company, posting year and currency with one column per cost category, and the change multiple
-- (integration + change_management + training) / license of that year.
with by_category as (
    select * from {{ ref('spend_by_category') }}
),

pivoted as (
    select
        company,
        posting_year,
        currency,
        coalesce(sum(spend) filter (where category = 'license'), 0) as license_spend,
        coalesce(sum(spend) filter (where category = 'integration'), 0) as integration_spend,
        coalesce(sum(spend) filter (where category = 'change_management'), 0) as change_management_spend,
        coalesce(sum(spend) filter (where category = 'training'), 0) as training_spend,
        coalesce(sum(spend) filter (where category = 'hardware'), 0) as hardware_spend,
        coalesce(sum(spend) filter (where category = 'services'), 0) as services_spend,
        sum(spend) as total_spend
    from by_category
    group by company, posting_year, currency
)

select
    cast(company as string) as company,
    cast(posting_year as bigint) as posting_year,
    cast(currency as string) as currency,
    cast(license_spend as double) as license_spend,
    cast(integration_spend as double) as integration_spend,
    cast(change_management_spend as double) as change_management_spend,
    cast(training_spend as double) as training_spend,
    cast(hardware_spend as double) as hardware_spend,
    cast(services_spend as double) as services_spend,
    cast(total_spend as double) as total_spend,
    cast({{ safe_divide('integration_spend + change_management_spend + training_spend', 'license_spend') }} as double)
        as change_multiple
from pivoted
