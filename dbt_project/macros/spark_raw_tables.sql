{#- Spark's raw (and audit.load_log) tables over the night's Parquet export (opsready.lake.spark_raw_tables lists them):
    `dbt run-operation spark_raw_tables --target spark --args '{tables: [...]}'`. Each table is dropped and created
    again over its folder and its partitions are discovered, so a night's new extract dates are seen. -#}
{% macro spark_raw_tables(tables) %}
    {% for table in tables %}
        {% set relation = table['schema'] ~ '.' ~ table['name'] %}
        {% do run_query("create database if not exists " ~ table['schema']) %}
        {% set columns = [] %}
        {% for name, type in table['columns'] %}
            {% do columns.append('`' ~ name ~ '` ' ~ type) %}
        {% endfor %}
        {% do run_query("drop table if exists " ~ relation) %}
        {% do run_query(
            "create table " ~ relation ~ " (" ~ columns | join(', ') ~ ") using parquet"
            ~ (" partitioned by (" ~ table['partitioned_by'] | join(', ') ~ ")" if table['partitioned_by'] else "")
            ~ " location '" ~ table['location'] ~ "'") %}
        {% if table['partitioned_by'] %}
            {% do run_query("msck repair table " ~ relation) %}
        {% endif %}
        {{ log(relation ~ " over " ~ table['location'], info=True) }}
    {% endfor %}
{% endmacro %}
