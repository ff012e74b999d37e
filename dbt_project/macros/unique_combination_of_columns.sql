{#- Generic test: no two rows share the same values of `combination` (a composite key); the dbt_utils test, written here
    because dbt deps cannot reach the hub. Fails with one row per duplicated key. -#}
{% test unique_combination_of_columns(model, combination) %}
select
    {{ combination | join(', ') }},
    count(*) as n_rows
from {{ model }}
group by {{ combination | join(', ') }}
having count(*) > 1
{% endtest %}
