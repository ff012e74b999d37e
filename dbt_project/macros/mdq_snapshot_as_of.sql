{#- The rows of a master-data history model as they stood on each MDQ as_of date: per source system, the latest
    snapshot extracted on or before as_of. Adds as_of and record_id (the landing file and row: unique per raw row,
    so duplicate keys stay distinct records). -#}
{% macro mdq_snapshot_as_of(history_model) -%}
    select
        snapshots.as_of,
        history.*,
        history.source_file || ':' || cast(history.source_row as string) as record_id
    from {{ ref(history_model) }} as history
    inner join (
        select as_of_dates.as_of, extracts.source_system, max(extracts.extract_date) as extract_date
        from {{ mdq_as_of_dates() }} as as_of_dates
        inner join (select distinct source_system, extract_date from {{ ref(history_model) }}) as extracts
            on extracts.extract_date <= as_of_dates.as_of
        group by 1, 2
    ) as snapshots
        on snapshots.source_system = history.source_system
        and snapshots.extract_date = history.extract_date
{%- endmacro %}
