{#- Helpers for the OEE / downtime models (SPEC §4). Plain SQL that DuckDB and Postgres both accept. -#}

{#- numerator / denominator, or null when the denominator is null or zero (never 0, never an error). -#}
{% macro oee_safe_divide(numerator, denominator) -%}
    (case when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
          else cast({{ numerator }} as double) / ({{ denominator }}) end)
{%- endmacro %}

{#- A naive-UTC timestamp as the plant's naive local wall-clock time. -#}
{% macro oee_to_plant_local(ts_utc, timezone) -%}
    ((({{ ts_utc }}) at time zone 'UTC') at time zone {{ timezone }})
{%- endmacro %}

{#- A naive plant-local wall-clock time as naive UTC (DST-exact: local midnight → the real instant). -#}
{% macro oee_plant_local_to_utc(ts_local, timezone) -%}
    ((({{ ts_local }}) at time zone {{ timezone }}) at time zone 'UTC')
{%- endmacro %}

{#- Seconds between two timestamps (fractional seconds kept). -#}
{% macro oee_seconds_between(start_ts, end_ts) -%}
    (epoch({{ end_ts }}) - epoch({{ start_ts }}))
{%- endmacro %}
