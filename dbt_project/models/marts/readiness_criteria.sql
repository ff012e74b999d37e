-- Readiness gates, step 2: the verdict of every configured criterion per plant × evaluation date (SPEC §5, §6).
-- passed = the value compares to the threshold as configured (config/gates.yaml); a criterion whose value could
-- not be computed (no data) is NOT passed and not_evaluated_reason says why. Metric definitions:
-- intermediate/int_readiness_metric_values.sql.
--   status         'passed', 'failed' (a value that misses the threshold) or 'not evaluated' (no value; never passed)
--   status_reason  why it was not evaluated (e.g. 'no wave-3 initiative has reached the plant'); null otherwise
--   label, unit    the criterion's business label and print unit from the gates file (marts.gate_definitions)
with metric_values as (
    select * from {{ ref('int_readiness_metric_values') }}
),

definitions as (
    select gate, criterion, label, unit from {{ ref('gate_definitions') }}
),

judged as (
    select
        *,
        case
            when value is null then false
            when comparator = '>=' then value >= threshold
            when comparator = '>' then value > threshold
            when comparator = '<=' then value <= threshold
            when comparator = '<' then value < threshold
            when comparator = '=' then value = threshold
        end as passed
    from metric_values
)

select
    cast(company as string) as company,
    cast(plant_id as string) as plant_id,
    cast(as_of as date) as as_of,
    cast(judged.gate as string) as gate,
    cast(gate_from as integer) as gate_from,
    cast(gate_to as integer) as gate_to,
    cast(judged.criterion as string) as criterion,
    cast(criterion_order as integer) as criterion_order,
    cast(metric as string) as metric,
    cast(value as double) as value,
    cast(comparator as string) as comparator,
    cast(threshold as double) as threshold,
    cast(window_days as integer) as window_days,
    cast(window_start as date) as window_start,
    cast(passed as boolean) as passed,
    cast(value is not null as boolean) as is_evaluated,
    cast(not_evaluated_reason as string) as not_evaluated_reason,
    cast(detail as string) as detail,
    cast(definitions.label as string) as label,
    cast(definitions.unit as string) as unit,
    cast(case
        when judged.value is null then 'not evaluated'
        when judged.passed then 'passed'
        else 'failed'
    end as string) as status,
    cast(case when judged.value is null then coalesce(judged.not_evaluated_reason, 'no value') end as string)
        as status_reason
from judged
left join definitions on definitions.gate = judged.gate and definitions.criterion = judged.criterion
