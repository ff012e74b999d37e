-- One row: a fingerprint of everything the per-record master-data quality checks depend on, so the incremental MDQ
-- models (macros/mdq_incremental.sql) know when rows they computed for an earlier as_of are still valid:
--   * every load of the master-data histories and of production orders (a new or corrected extract changes it),
--   * the MDQ settings (vars) and the domain values of config/domains.yaml (raw.domain_values),
--   * the code of every int_mdq_* and stg_erp__* model (after changing an mdq_* macro, run with a full refresh).
{%- set code = [] %}
{%- for node in graph.nodes.values()
    if node.resource_type == 'model' and node.name.startswith(('int_mdq_', 'stg_erp__')) %}
{%- do code.append(node.name ~ ':' ~ local_md5(node.raw_code)) %}
{%- endfor %}
with loads as (
    select distinct load_id from {{ ref('stg_erp__materials_history') }}
    union
    select distinct load_id from {{ ref('stg_erp__bom_history') }}
    union
    select distinct load_id from {{ ref('stg_erp__equipment_history') }}
    union
    select distinct load_id from {{ ref('stg_erp__work_centers_history') }}
    union
    select distinct load_id from {{ ref('stg_erp__plants_history') }}
    union
    select distinct load_id from {{ ref('stg_erp__production_orders') }}
)

select
    md5(
        coalesce({{ ordered_string_agg('load_id', "','", 'load_id') }}, '')
        || '|{{ local_md5(tojson([var("timeliness_window_days"), var("mdq_weights")])) }}'
        || '|{{ local_md5(code | sort | join(",")) }}'
        || '|' || (
            select coalesce({{ ordered_string_agg("domain || '=' || code", "','", 'domain, code') }}, '')
            from {{ source('config', 'domain_values') }}
        )
    ) as fingerprint
from loads
