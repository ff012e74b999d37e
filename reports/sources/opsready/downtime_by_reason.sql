-- Unplanned downtime per plant and reason over the twelve months up to the readiness date, largest first, with
-- the cumulative share (the Pareto), from marts.downtime_by_reason_monthly. A missing or uncatalogued code is
-- shown as such, since it does not count towards reason coverage.
with bounds as (
    select (select max(as_of) from marts.plant_readiness) as as_of
),

by_reason as (
    select
        d.plant_id,
        case
            when d.reason_code is null then '(no reason code)'
            when not d.is_catalogued_reason then d.reason_code || ' (not in catalogue)'
            else d.reason_code || coalesce(' · ' || d.reason_category, '')
        end as reason,
        sum(d.adot_s) / 3600.0 as downtime_h,
        sum(d.unplanned_stop_events) as stops
    from marts.downtime_by_reason_monthly d, bounds b
    where d.month > b.as_of - interval 12 month and d.month <= b.as_of
    group by all
)

select
    plant_id,
    reason,
    downtime_h,
    stops,
    downtime_h / sum(downtime_h) over (partition by plant_id) as share,
    sum(downtime_h) over (partition by plant_id order by downtime_h desc, reason rows unbounded preceding)
        / sum(downtime_h) over (partition by plant_id) as cumulative_share,
    row_number() over (partition by plant_id order by downtime_h desc, reason) as reason_rank
from by_reason
order by plant_id, reason_rank
