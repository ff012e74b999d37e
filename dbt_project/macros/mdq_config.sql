{#- Master-data quality configuration (SPEC §4). Every list can be overridden with a dbt var of the same name
    (dbt_project.yml `vars:` or `--vars`); the defaults below are the product's documented rules. -#}

{#- Fields each entity must carry (completeness): one check per field and row. -#}
{% macro mdq_required_fields(entity) -%}
    {%- set defaults = {
        'materials': ['material_type', 'base_uom', 'description', 'standard_cost', 'lead_time_days',
                      'procurement_type', 'changed_at'],
        'bom': ['quantity', 'uom'],
        'equipment': ['work_center_id', 'equipment_type', 'criticality', 'install_date'],
        'work_centers': ['line_id', 'description', 'is_bottleneck', 'ideal_cycle_time_s', 'criticality'],
        'production_orders': ['work_center_id', 'material_id', 'planned_qty', 'yield_qty', 'started_at'],
    } -%}
    {{ return(var('mdq_required_fields', defaults)[entity]) }}
{%- endmacro %}

{#- The codes of one domain of config/domains.yaml (units of measure, material types, criticality, ...), as a
    subquery for `value in {{ mdq_domain('unit_of_measure') }}`. Ingest writes the file into raw.domain_values at the
    start of every run, so the rules read the values a reader finds documented there. -#}
{% macro mdq_domain(domain) -%}
    (select code from {{ source('config', 'domain_values') }} where domain = '{{ domain }}')
{%- endmacro %}

{#- Description normalised for duplicate detection: lower case, trimmed, inner whitespace collapsed to one space. -#}
{% macro mdq_normalise_text(expr) -%}
    {{ normalise_whitespace(expr) }}
{%- endmacro %}


{#- One completeness check row per required field: columns rule, passed, failing_value. Expects alias `r`. -#}
{% macro mdq_completeness_checks(entity, key_expr) -%}
    {%- for field in mdq_required_fields(entity) %}
    select r.as_of, r.plant_id, '{{ entity }}' as entity, r.record_id, {{ key_expr }} as record_key,
           'completeness' as dimension, '{{ field }}_present' as rule,
           r.{{ field }} is not null and trim(cast(r.{{ field }} as string)) <> '' as passed,
           cast(null as string) as failing_value
    from rows_as_of as r
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- Generic data test: every non-null value of the column is a code of the domain in config/domains.yaml
    (raw.domain_values), e.g. `- in_domain: {arguments: {domain: criticality}}`. -#}
{% test in_domain(model, column_name, domain) %}
select {{ column_name }} as value_outside_domain
from {{ model }}
where {{ column_name }} is not null and {{ column_name }} not in {{ mdq_domain(domain) }}
{% endtest %}
