-- Defect escape rate (SPEC §4) per month at work center, line, plant and company level:
-- defect_escape_ppm = Σ escaped_defects / Σ shipped_units × 1 000 000 (null when nothing shipped).
{%- set levels = {
    'work_center': ['plant_id', 'line_id', 'work_center_id'],
    'line': ['plant_id', 'line_id'],
    'plant': ['plant_id'],
    'company': [],
} %}
with escapes as (
    select * from {{ ref('int_quality_escapes_monthly') }}
),

rolled as (
{%- for level, keys in levels.items() %}
    select
        '{{ level }}' as level,
        month,
        company,
        {{ 'plant_id' if 'plant_id' in keys else 'cast(null as string)' }} as plant_id,
        {{ 'line_id' if 'line_id' in keys else 'cast(null as string)' }} as line_id,
        {{ 'work_center_id' if 'work_center_id' in keys else 'cast(null as string)' }} as work_center_id,
        sum(shipped_units) as shipped_units,
        sum(escaped_defects) as escaped_defects
    from escapes
    group by month, company{% for k in keys %}, {{ k }}{% endfor %}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
)

select
    cast(level as string) as level,
    cast(month as date) as month,
    cast(company as string) as company,
    cast(plant_id as string) as plant_id,
    cast(line_id as string) as line_id,
    cast(work_center_id as string) as work_center_id,
    cast(shipped_units as bigint) as shipped_units,
    cast(escaped_defects as bigint) as escaped_defects,
    cast({{ safe_divide('escaped_defects * 1000000.0', 'shipped_units') }} as double) as defect_escape_ppm
from rolled
