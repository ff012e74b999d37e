-- The material master as it stood on each MDQ as_of date (latest snapshot per source system on or before it),
-- with the two duplicate ranks the uniqueness rules use:
--   key_occurrence          1 for the first row of a (plant_id, material_id), 2, 3 … for repeats
--   description_occurrence  1 for the first material (by material_id) with a given normalised description
--                           (lower case, trimmed, inner whitespace collapsed) + material_type + base_uom in the
--                           plant; 2, 3 … for the duplicates; null when the description is missing
{{ config(
    materialized=materialized_deleting_incremental(),
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mdq_delete_stale() }}"
) }}
-- Incremental by as_of (macros/mdq_incremental.sql): a night computes only the MDQ dates not yet held.
-- depends_on: {{ ref('int_mdq_input_fingerprint') }}
with rows_as_of as (
    {{ mdq_snapshot_as_of('stg_erp__materials_history') }}
)

select
    rows_as_of.*,
    {{ mdq_normalise_text('description') }} as normalised_description,
    row_number() over (
        partition by as_of, plant_id, material_id order by record_id
    ) as key_occurrence,
    case when description is not null then
        row_number() over (
            partition by as_of, plant_id, {{ mdq_normalise_text('description') }}, material_type, base_uom
            order by material_id, record_id
        )
    end as description_occurrence,
    (select fingerprint from {{ ref('int_mdq_input_fingerprint') }}) as inputs_fingerprint
from rows_as_of
