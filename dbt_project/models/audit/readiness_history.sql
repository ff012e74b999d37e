-- Every night's readiness verdicts, kept (SPEC §5: "history kept"). One row per plant × as_of × gate × criterion,
-- with the plant's wave that day. Incremental delete+insert keyed on as_of: a run replaces every row of the dates
-- it evaluates (re-running a night replaces that night, a criterion dropped from config disappears from it too)
-- and leaves every other date alone. The working copy starts as a copy of the published warehouse, so history
-- accumulates night after night (a --full-refresh would start it again).
--   blocked since:  select plant_id, min(as_of) from audit.readiness_history h where current_wave = (select
--                   current_wave ... latest) ... -> see marts.readiness_timeline.blocked_since (one query)
--   what changed since last night: see the model YAML (one query).
{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    **replace_by_key(['as_of'])
) }}
select
    criteria.company,
    criteria.plant_id,
    criteria.as_of,
    criteria.gate,
    criteria.gate_from,
    criteria.gate_to,
    criteria.criterion,
    criteria.criterion_order,
    criteria.metric,
    criteria.value,
    criteria.comparator,
    criteria.threshold,
    criteria.window_days,
    criteria.window_start,
    criteria.passed,
    criteria.is_evaluated,
    criteria.not_evaluated_reason,
    criteria.detail,
    readiness.current_wave,
    readiness.next_wave,
    readiness.ready,
    criteria.label,
    criteria.unit,
    criteria.status,
    criteria.status_reason,
    readiness.started_wave,
    readiness.verdict,
    cast(current_timestamp as timestamp) as evaluated_at,
    cast('{{ invocation_id }}' as string) as dbt_invocation_id
from {{ ref('readiness_criteria') }} as criteria
inner join {{ ref('plant_readiness') }} as readiness
    on readiness.plant_id = criteria.plant_id
    and readiness.as_of = criteria.as_of
