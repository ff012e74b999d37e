{#- Seconds since 1970-01-01 of a naive UTC timestamp, as a double (fractions kept), for durations as differences. -#}
{% macro epoch_seconds(timestamp) -%}
    {{ return(adapter.dispatch('epoch_seconds')(timestamp)) }}
{%- endmacro %}

{% macro default__epoch_seconds(timestamp) -%}
    epoch({{ timestamp }})
{%- endmacro %}

{#- the session time zone is UTC (tests_spark/thrift_server.py, docs/scale-out.md), so the cast keeps the instant -#}
{% macro spark__epoch_seconds(timestamp) -%}
    (cast(unix_micros(cast({{ timestamp }} as timestamp_ltz)) as double) / 1000000)
{%- endmacro %}

{#- Seconds from timestamp `start` to timestamp `end`, as a double. -#}
{% macro seconds_between(start, end) -%}
    {{ epoch_seconds(end) }} - {{ epoch_seconds(start) }}
{%- endmacro %}
