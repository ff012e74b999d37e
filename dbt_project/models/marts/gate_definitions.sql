-- The readiness gates as configured: one row per gate × criterion, generated from config/gates.yaml through the
-- dbt var readiness_gates (opsready.gates.dbt_vars), the same var the verdicts are computed from, so printed
-- definitions cannot drift from the gates that decide.
{%- set criteria = var('readiness_gates', none) %}
{%- if execute and not criteria %}
    {{ exceptions.raise_compiler_error(
        "var 'readiness_gates' is missing: the readiness criteria come from config/gates.yaml through "
        ~ "opsready.gates.dbt_vars(); for a bare dbt run use --vars \"$(python -m opsready.gates vars)\"") }}
{%- endif %}
{%- set criteria = criteria or [{'gate': '1->2', 'gate_from': 1, 'gate_to': 2, 'gate_name': 'parse only',
    'criterion': 'parse_only', 'label': 'parse only', 'unit': 'share', 'metric': 'mdq_score', 'comparator': '>=',
    'threshold': 1, 'window_days': 1, 'description': 'parse only'}] %}
select
    cast(gate as string) as gate,
    cast(from_wave as integer) as from_wave,
    cast(to_wave as integer) as to_wave,
    cast(gate_name as string) as gate_name,
    cast(criterion as string) as criterion,
    cast(criterion_order as integer) as criterion_order,
    cast(label as string) as label,
    cast(unit as string) as unit,
    cast(metric as string) as metric,
    cast(comparator as string) as comparator,
    cast(threshold as double) as threshold,
    cast(window_days as integer) as window_days,
    cast(description as string) as description
from (values
{%- for c in criteria %}
    ({{ sql_text(c['gate']) }}, {{ c['gate_from'] }}, {{ c['gate_to'] }}, {{ sql_text(c['gate_name']) }},
     {{ sql_text(c['criterion']) }}, {{ loop.index }}, {{ sql_text(c['label']) }}, {{ sql_text(c['unit']) }},
     {{ sql_text(c['metric']) }}, {{ sql_text(c['comparator']) }}, {{ c['threshold'] }}, {{ c['window_days'] | int }},
     {{ sql_text(c['description']) }}){% if not loop.last %},{% endif %}
{%- endfor %}
) as definitions (gate, from_wave, to_wave, gate_name, criterion, criterion_order, label, unit, metric, comparator,
    threshold, window_days, description)
