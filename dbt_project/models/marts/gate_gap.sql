-- How far each plant is from the gates still ahead of it, and when it gets there at today's pace: one row per plant
-- × gate × criterion not passed on the run's latest evaluation date, for the plant's next gate and the gates after it
-- (gate_from >= current_wave). The method (config/gates.yaml, forecast:):
--   distance        still to go in the metric's unit (>= 0): threshold - value for >= and >, value - threshold for
--                   <= and <, |value - threshold| for =; distance_share = distance / threshold (null at threshold 0)
--   trend_per_day   ordinary least-squares slope of the criterion's value per day over the evaluations of the
--                   trailing trend_window_days [as_of - trend_window_days + 1, as_of] in audit.readiness_history
--                   (month ends and every night since); null with fewer than min_points values
--   forecast        when the trend moves towards the threshold: as_of + ceil(distance / |trend_per_day|) days,
--                   given when within horizon_days ('passes at this pace on …'); else 'not at this pace'. A criterion
--                   without a value tonight, or with too few points, is 'not evaluable'.
{%- set forecast = var('readiness_forecast', {'trend_window_days': 90, 'min_points': 2, 'horizon_days': 1095}) %}
with latest as (
    select max(as_of) as as_of from {{ ref('plant_readiness') }}
),

plants as (
    select plant_readiness.plant_id, plant_readiness.plant_name, plant_readiness.current_wave, plant_readiness.as_of
    from {{ ref('plant_readiness') }} as plant_readiness
    inner join latest on latest.as_of = plant_readiness.as_of
),

open_criteria as (
    select criteria.*, plants.plant_name
    from {{ ref('readiness_criteria') }} as criteria
    inner join plants on plants.plant_id = criteria.plant_id and plants.as_of = criteria.as_of
    where criteria.status <> 'passed' and criteria.gate_from >= plants.current_wave
),

trends as (
    select
        open_criteria.plant_id,
        open_criteria.gate,
        open_criteria.criterion,
        regr_slope(history.value, {{ days_between("date '2000-01-01'", 'history.as_of') }}) as slope,
        count(history.value) as points
    from open_criteria
    inner join {{ ref('readiness_history') }} as history
        on history.plant_id = open_criteria.plant_id
        and history.gate = open_criteria.gate
        and history.criterion = open_criteria.criterion
        and history.as_of between open_criteria.as_of - {{ forecast['trend_window_days'] - 1 }} and open_criteria.as_of
    group by open_criteria.plant_id, open_criteria.gate, open_criteria.criterion
),

gaps as (
    select
        open_criteria.*,
        case
            when open_criteria.comparator in ('>=', '>') then open_criteria.threshold - open_criteria.value
            when open_criteria.comparator in ('<=', '<') then open_criteria.value - open_criteria.threshold
            else abs(open_criteria.value - open_criteria.threshold)
        end as distance,
        coalesce(trends.points, 0) as history_points,
        case when coalesce(trends.points, 0) >= {{ forecast['min_points'] }} then trends.slope end as trend_per_day
    from open_criteria
    left join trends
        on trends.plant_id = open_criteria.plant_id
        and trends.gate = open_criteria.gate
        and trends.criterion = open_criteria.criterion
),

paced as (
    select
        *,
        -- the trend's speed towards the threshold (> 0 means it is closing the gap)
        case
            when comparator in ('>=', '>') then trend_per_day
            when comparator in ('<=', '<') then -trend_per_day
            else sign(threshold - value) * trend_per_day
        end as closing_per_day
    from gaps
),

forecast as (
    select
        *,
        case
            when value is not null and trend_per_day is not null and closing_per_day > 0
                and ceil(distance / closing_per_day) <= {{ forecast['horizon_days'] }}
                then cast(as_of + cast(greatest(1, ceil(distance / closing_per_day)) as integer) as date)
        end as forecast_pass_on
    from paced
)

select
    cast(company as string) as company,
    cast(plant_id as string) as plant_id,
    cast(plant_name as string) as plant_name,
    cast(as_of as date) as as_of,
    cast(gate as string) as gate,
    cast(gate_from as integer) as from_wave,
    cast(gate_to as integer) as to_wave,
    cast(criterion as string) as criterion,
    cast(criterion_order as integer) as criterion_order,
    cast(label as string) as label,
    cast(unit as string) as unit,
    cast(comparator as string) as comparator,
    cast(value as double) as value,
    cast(threshold as double) as threshold,
    cast(distance as double) as distance,
    cast({{ safe_divide('distance', 'threshold') }} as double) as distance_share,
    cast(trend_per_day as double) as trend_per_day,
    cast(history_points as integer) as history_points,
    cast(forecast_pass_on as date) as forecast_pass_on,
    cast(case
        when value is null or trend_per_day is null then 'not evaluable'
        when forecast_pass_on is not null then 'passes at this pace on ' || cast(forecast_pass_on as string)
        else 'not at this pace'
    end as string) as forecast_note,
    cast(status as string) as status,
    cast(status_reason as string) as status_reason
from forecast
