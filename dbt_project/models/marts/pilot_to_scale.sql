-- Pilot-to-scale rate (SPEC §4): scaled / concluded, concluded = scaled + stopped + stalled, as of the readiness date.
-- One row per grain value; grain values other than company are counted within their company.
-- The rate is a ratio of sums (summed counts per grain value), never a mean of lower-level rates.
{%- set grains = {
    'company': 'company',
    'plant': 'plant_id',
    'wave': 'cast(wave as string)',
    'technology': 'technology',
    'start_year': 'cast(start_year as string)',
} %}
with pilots as (
    select * from {{ ref('int_pilot_status_as_of') }}
),

counted as (
    {%- for grain, expr in grains.items() %}
    select
        '{{ grain }}' as grain,
        {{ expr }} as grain_value,
        company,
        max(as_of) as as_of,
        count(*) as pilots_started,
        count(*) filter (where is_concluded) as pilots_concluded,
        count(*) filter (where status_as_of = 'scaled') as pilots_scaled,
        count(*) filter (where status_as_of = 'stopped') as pilots_stopped,
        count(*) filter (where status_as_of = 'stalled') as pilots_stalled,
        count(*) filter (where status_as_of = 'running') as pilots_running
    from pilots
    group by company, {{ expr }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

rated as (
    select
        *,
        {{ safe_divide('pilots_scaled', 'pilots_concluded') }} as pilot_to_scale_rate
    from counted
)

select
    cast(grain as string) as grain,
    cast(grain_value as string) as grain_value,
    cast(company as string) as company,
    cast(as_of as date) as as_of,
    cast(pilots_started as bigint) as pilots_started,
    cast(pilots_concluded as bigint) as pilots_concluded,
    cast(pilots_scaled as bigint) as pilots_scaled,
    cast(pilots_stopped as bigint) as pilots_stopped,
    cast(pilots_stalled as bigint) as pilots_stalled,
    cast(pilots_running as bigint) as pilots_running,
    cast(pilot_to_scale_rate as double) as pilot_to_scale_rate,
    cast(case when pilots_concluded = 0 then 'no concluded pilots' end as string) as pilot_to_scale_rate_null_reason,
    -- tiers: > 0.60 best in class; [0.40, 0.60] good; [0.20, 0.40) average; < 0.20 pilot purgatory
    cast(case
        when pilot_to_scale_rate is null then null
        when pilot_to_scale_rate > 0.60 then 'best in class'
        when pilot_to_scale_rate >= 0.40 then 'good'
        when pilot_to_scale_rate >= 0.20 then 'average'
        else 'pilot purgatory'
    end as string) as tier
from rated
