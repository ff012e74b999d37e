-- How far each plant is from passing each failing criterion of its next gate (the gate out of its current wave on
-- its latest readiness date), the trailing trend and the forecast pass date (marts.gate_gap);
-- distance_share = distance / threshold. Dates as text.
select
    company,
    plant_id,
    plant_name,
    strftime(as_of, '%Y-%m-%d') as as_of,
    gate,
    from_wave,
    to_wave,
    criterion,
    label,
    unit,
    comparator,
    value,
    threshold,
    distance,
    distance_share,
    case
        when distance is null then 'no value'
        when unit in ('share', 'ratio') then format('{:.1f} pts', distance * 100)
        when unit = 'usd' then '$' || format('{:,.0f}', distance)
        when unit = 'days' then format('{:,.0f} days', distance)
        else format('{:,.0f}', distance)
    end as distance_text,
    trend_per_day,
    history_points,
    strftime(forecast_pass_on, '%Y-%m-%d') as forecast_pass_on,
    forecast_note
from marts.gate_gap g
where exists (
    select 1 from marts.plant_readiness r
    where r.plant_id = g.plant_id and r.as_of = g.as_of and r.current_wave = g.from_wave
      and r.as_of = (select max(as_of) from marts.plant_readiness p where p.plant_id = r.plant_id)
)
order by plant_id, gate, criterion
