-- The dates readiness is evaluated on, in one dbt run:
--   var('readiness_dates')          the listed dates (YYYY-MM-DD), e.g. `opsready backfill`'s month ends; else
--   full history                    when var('readiness_full_history') is true (`opsready run --history`) or the
--                                   warehouse holds no verdicts yet (its first run): every month end from the month of
--                                   the earliest extract loaded (audit.load_log: the first data available) up to the
--                                   readiness date, and the readiness date itself; else
--   the readiness date as_of_date() alone (a normal night).
{%- set dates = var('readiness_dates', none) %}
{%- if dates %}
select cast(d as date) as as_of
from (values {% for d in dates %}('{{ d }}'){% if not loop.last %}, {% endif %}{% endfor %}) as t(d)
{%- elif var('readiness_full_history', false) or readiness_history_is_empty() %}
with bounds as (
    select
        (select min(extract_date) from {{ source('audit', 'load_log') }} where rows_loaded > 0) as first_data,
        {{ as_of_date() }} as as_of
)

select cast(last_day(month_start) as date) as as_of
from bounds
    {{ date_series("date_trunc('month', bounds.first_data)", "date_trunc('month', bounds.as_of)", 'month', 'months',
                   'month_start') }}
where last_day(month_start) < bounds.as_of

union

select as_of from bounds
{%- else %}
select {{ as_of_date() }} as as_of
{%- endif %}
