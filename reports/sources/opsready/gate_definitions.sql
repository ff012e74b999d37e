-- The gates as configured in config/gates.yaml (marts.gate_definitions, one row per gate and criterion), with the
-- threshold printed in the criterion's unit.
select
    gate,
    from_wave,
    to_wave,
    gate_name,
    criterion,
    criterion_order,
    label,
    unit,
    metric,
    comparator,
    threshold,
    case
        when unit in ('share', 'ratio') then format('{:.0f} %', threshold * 100)
        when unit = 'usd' then '$' || format('{:,.0f}', threshold)
        when unit = 'days' then format('{:,.0f} days', threshold)
        else format('{:,.0f}', threshold)
    end as threshold_text,
    window_days,
    description
from marts.gate_definitions
order by from_wave, criterion_order
