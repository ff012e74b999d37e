{#- The OEE and downtime ratios of a rollup, each from summed components (never an average of ratios).
    Expects the summed columns pbt_s, apt_s, adot_s, apt_with_counts_s, ideal_production_s, produced_qty, good_qty,
    unplanned_stop_events, adot_with_valid_reason_s. -#}
{% macro oee_rollup_ratios() -%}
    {{ oee_safe_divide('apt_s', 'pbt_s') }} as availability,
    {{ oee_safe_divide('ideal_production_s', 'apt_with_counts_s') }} as effectiveness,
    {{ oee_safe_divide('good_qty', 'produced_qty') }} as quality_rate,
    {{ oee_safe_divide('apt_s', 'pbt_s') }}
        * {{ oee_safe_divide('ideal_production_s', 'apt_with_counts_s') }}
        * {{ oee_safe_divide('good_qty', 'produced_qty') }} as oee,
    {{ oee_safe_divide('adot_s', 'pbt_s') }} as unplanned_downtime_pct,
    {{ oee_safe_divide('apt_s', 'unplanned_stop_events') }} as mtbf_s,
    {{ oee_safe_divide('adot_s', 'unplanned_stop_events') }} as mttr_s,
    {{ oee_safe_divide('adot_with_valid_reason_s', 'adot_s') }} as reason_coverage
{%- endmacro %}
