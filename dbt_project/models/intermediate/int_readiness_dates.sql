-- The dates readiness is evaluated on: var('readiness_dates') (a list of YYYY-MM-DD, e.g. the month ends of a
-- backfill: one dbt run evaluates them all) or, when it is not given, the single readiness date as_of_date().
{%- set dates = var('readiness_dates', none) %}
{%- if dates %}
select cast(d as date) as as_of
from (values {% for d in dates %}('{{ d }}'){% if not loop.last %}, {% endif %}{% endfor %}) as t(d)
{%- else %}
select {{ as_of_date() }} as as_of
{%- endif %}
