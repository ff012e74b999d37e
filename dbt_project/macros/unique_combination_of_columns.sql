{#- Generic test: no two rows share the same values of `combination` (a composite key); the dbt_utils test, written here
    because dbt deps cannot reach the hub. Fails with one row per duplicated key.

    `latest_loads_time_column` (optional, for large event tables whose key includes that time column): check only the
    time window of the rows the latest ingest run loaded. A duplicate always involves a row of some load; every earlier
    night passed this test before it was published, so a new duplicate must involve a row of the latest loads, and
    since the time column is part of the key, both rows lie in that window. The first night loads everything, so it
    checks everything; a night without new rows checks nothing. The window is a literal, so DuckDB's zone maps skip
    the history (raw tables are stored in extract order). -#}
{% test unique_combination_of_columns(model, combination, latest_loads_time_column=none) %}
{%- set key = combination | join(', ') %}
{%- set where = 'true' %}
{%- if latest_loads_time_column is not none %}
    {%- set where = 'false' %}
    {%- if execute %}
        {%- set t = latest_loads_time_column %}
        {%- set bounds = run_query(
            "select min(" ~ t ~ "), max(" ~ t ~ ") from " ~ model ~ " where load_id in ("
            ~ "select load_id from audit.load_log where status in ('loaded', 'replaced') and run_id = ("
            ~ "select run_id from audit.load_log order by loaded_at desc limit 1))") %}
        {%- set low, high = bounds.rows[0][0], bounds.rows[0][1] %}
        {%- if low is not none %}
            {%- set where = t ~ " between timestamp '" ~ low ~ "' and timestamp '" ~ high ~ "'" %}
        {%- endif %}
    {%- endif %}
{%- endif %}
select
    {{ key }},
    count(*) as n_rows
from {{ model }}
where {{ where }}
group by {{ key }}
having count(*) > 1
{% endtest %}
