-- Every gate criterion on each plant's latest readiness date, with since when it has failed without a break
-- (from audit.readiness_history: the first date after the last date it passed; null when it passes).
with latest as (
    select plant_id, max(as_of) as as_of from marts.readiness_criteria group by plant_id
),

history as (
    select plant_id, gate, criterion, as_of, coalesce(passed, false) as passed
    from audit.readiness_history
),

last_pass as (
    select plant_id, gate, criterion, max(as_of) filter (where passed) as last_passed_on
    from history
    group by all
),

failing_since as (
    select h.plant_id, h.gate, h.criterion, min(h.as_of) as failing_since
    from history h
    left join last_pass p using (plant_id, gate, criterion)
    where not h.passed and (p.last_passed_on is null or h.as_of > p.last_passed_on)
    group by all
)

select
    c.company,
    c.plant_id,
    c.as_of,
    c.gate,
    c.criterion,
    c.label,
    c.unit,
    c.criterion_order,
    c.value,
    c.comparator,
    c.threshold,
    coalesce(c.passed, false) as passed,
    c.is_evaluated,
    c.status,
    c.status_reason,
    -- value and threshold printed in the criterion's unit (share and ratio as %, usd as $, counts and days whole)
    case
        when c.value is null then 'no value'
        when c.unit in ('share', 'ratio') then format('{:.1f} %', c.value * 100)
        when c.unit = 'usd' then '$' || format('{:,.0f}', c.value)
        when c.unit = 'days' then format('{:,.0f} days', c.value)
        else format('{:,.0f}', c.value)
    end as value_text,
    case
        when c.unit in ('share', 'ratio') then format('{:.0f} %', c.threshold * 100)
        when c.unit = 'usd' then '$' || format('{:,.0f}', c.threshold)
        when c.unit = 'days' then format('{:,.0f} days', c.threshold)
        else format('{:,.0f}', c.threshold)
    end as threshold_text,
    -- as text: Evidence shows a null DATE as 1970-01-01
    case when coalesce(c.passed, false) then null else strftime(f.failing_since, '%Y-%m-%d') end as failing_since
from marts.readiness_criteria c
join latest using (plant_id, as_of)
left join failing_since f using (plant_id, gate, criterion)
order by c.company, c.plant_id, c.gate, c.criterion_order
