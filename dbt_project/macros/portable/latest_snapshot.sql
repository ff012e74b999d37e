{#- The newest extract of each source system of a snapshot entity (each extract is complete, so only the newest is
    current): `select * from {{ latest_snapshot(ref('stg_erp__plants_history')) }}`. A join on the newest date per
    source rather than `qualify`, which Spark does not parse; both engines give the same rows. -#}
{% macro latest_snapshot(relation, source_column='source_system', date_column='extract_date') -%}
    (
        select snapshot.*
        from {{ relation }} as snapshot
        inner join (
            select {{ source_column }} as latest_source, max({{ date_column }}) as latest_date
            from {{ relation }}
            group by {{ source_column }}
        ) as latest
            on snapshot.{{ source_column }} = latest.latest_source and snapshot.{{ date_column }} = latest.latest_date
    )
{%- endmacro %}
