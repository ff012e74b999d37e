{#- A plant-local wall-clock time (naive timestamp) in IANA time zone `tz`, as a naive UTC timestamp. -#}
{% macro local_to_utc(timestamp, tz) -%}
    {{ return(adapter.dispatch('local_to_utc')(timestamp, tz)) }}
{%- endmacro %}

{#- timezone(tz, naive) reads the wall clock in tz (an instant); timezone('UTC', instant) is its UTC wall clock -#}
{% macro default__local_to_utc(timestamp, tz) -%}
    timezone('UTC', timezone({{ tz }}, {{ timestamp }}))
{%- endmacro %}

{% macro spark__local_to_utc(timestamp, tz) -%}
    convert_timezone({{ tz }}, 'UTC', {{ timestamp }})
{%- endmacro %}
