-- Readiness gates, step 1: every configured criterion's metric value per plant × evaluation date (SPEC §5).
-- The criteria come from config/gates.yaml through the dbt var readiness_gates (opsready.gates.dbt_vars); the
-- dates from int_readiness_dates. Every window is trailing and ends on the evaluation date D, inclusive:
-- [D - window_days + 1, D]. A value that cannot be computed is null and not_evaluated_reason says why.
--
-- Metric definitions (one place):
--   mdq_score / mdq_completeness  marts.plant_mdq of the latest as_of <= D; none within window_days -> not evaluated.
--   mes_line_coverage   share of the plant's lines (distinct line_id in the current work-center master) that have
--                       MES data (int_readiness_line_days.has_mes_data: a machine-state interval on that plant-local
--                       day) on >= min_day_share of the window's days.
--   oee_line_coverage   share of the plant's lines whose line-level daily OEE is available (not null,
--                       int_readiness_line_days.has_oee) on >= min_day_share of the window's days.
--   reason_coverage     Σ unplanned downtime with a reason code in the plant's catalogue / Σ unplanned downtime,
--                       over the plant's work-center days in the window (fct_oee_daily; ratio of sums).
--   pdm_pilots_with_benefit  pilots at the plant of an initiative whose technology is in `technologies`, started
--                       in the window, on a work center that is a bottleneck or has criticality A (or carries
--                       criticality-A equipment), whose initiative × plant has >= min_benefit_months measured benefit
--                       months (benefit log month with a computable realised benefit, from the pilot's start month
--                       up to D).
--   pilot_to_scale_rate scaled / concluded (scaled + stopped + stalled) on D over the plant's pilots started in the
--                       window (int_pilot_status_intervals); no concluded pilot -> not evaluated.
--   wave_realisation    Σ realised benefit of the benefit months in the window (month start in (D - window_days, D])
--                       / Σ planned annual benefit share, over the initiatives of `waves` that have reached the plant
--                       by D (pilot started, benefit month or cost posted there); the planned benefit is shared
--                       equally among the plants the initiative reached by D (as marts.benefit_realisation).
--   open_wishlist_initiatives  wishlist initiatives (any of the four answers missing, as marts.initiative_hygiene)
--                       with a pilot at the plant, started in the window, that is running or stalled on D.
{%- set criteria = var('readiness_gates', none) %}
{%- if execute and not criteria %}
    {{ exceptions.raise_compiler_error(
        "var 'readiness_gates' is missing: the readiness criteria come from config/gates.yaml through "
        ~ "opsready.gates.dbt_vars(); the nightly passes them; for a bare dbt run use "
        ~ "--vars \"$(python -m opsready.gates vars)\"") }}
{%- endif %}
{%- set criteria = criteria or [{'gate': '1->2', 'gate_from': 1, 'gate_to': 2, 'criterion': 'parse_only',
    'metric': 'mdq_score', 'comparator': '>=', 'threshold': 1, 'window_days': 1}] %}
with dates as (
    select as_of from {{ ref('int_readiness_dates') }}
),

plants as (
    select plant_id, company from {{ ref('stg_erp__plants') }}
),

plant_dates as (
    select plants.plant_id, plants.company, dates.as_of from plants cross join dates
),

lines as (
    select plant_id, count(distinct line_id) as lines
    from {{ ref('stg_erp__work_centers') }}
    where line_id is not null
    group by plant_id
),

line_days as (
    select * from {{ ref('int_readiness_line_days') }}
),

mdq as (
    select plant_id, as_of, mdq_score, completeness from {{ ref('plant_mdq') }}
),

oee_days as (
    select plant_id, day, adot_s, adot_with_valid_reason_s from {{ ref('fct_oee_daily') }}
),

initiatives as (
    select
        *,
        {{ is_blank('capability_enabled') }} or {{ is_blank('outcome_kpi') }} or {{ is_blank('outcome_target') }}
            or {{ is_blank('dependencies') }} or {{ is_blank('exit_criteria') }} as is_wishlist
    from {{ ref('stg_pilots__initiatives') }}
),

pilots as (
    select pilots.*, initiatives.wave, initiatives.technology, initiatives.is_wishlist
    from {{ ref('stg_pilots__pilots') }} as pilots
    left join initiatives on initiatives.initiative_id = pilots.initiative_id
),

status_intervals as (
    select * from {{ ref('int_pilot_status_intervals') }}
),

critical_work_centers as (
    select plant_id, work_center_id from {{ ref('stg_erp__work_centers') }}
    where is_bottleneck or criticality = 'A'
    union
    select plant_id, work_center_id from {{ ref('stg_erp__equipment') }}
    where criticality = 'A' and work_center_id is not null
),

benefit_months as (
    select initiative_id, plant_id, month, monthly_realised_benefit
    from {{ ref('int_benefit_monthly') }}
    where monthly_realised_benefit is not null
),

reach as (
    select initiative_id, plant_id, first_reached_on from {{ ref('int_readiness_initiative_reach') }}
),

pilot_status_on_date as (
    -- every pilot started at the plant by D, with its status on D (null before its first status); the pilot
    -- criteria below keep the pilots started in their own window
    select
        evaluated.plant_id,
        evaluated.as_of,
        pilots.pilot_id,
        pilots.initiative_id,
        pilots.started_on,
        pilots.is_wishlist,
        status_intervals.status,
        status_intervals.is_concluded
    from plant_dates as evaluated
    inner join pilots
        on pilots.plant_id = evaluated.plant_id
        and pilots.started_on <= evaluated.as_of
    left join status_intervals
        on status_intervals.pilot_id = pilots.pilot_id
        and status_intervals.valid_from <= evaluated.as_of
        and (status_intervals.valid_to is null or evaluated.as_of < status_intervals.valid_to)
),

criterion_values as (
{#- Each criterion: plant_dates left-joined to its measurements aggregated per plant and evaluation date (m). A
    plant-date without measurements gets nulls from the join; the coalesces and reasons below treat them as none. #}
{%- for c in criteria %}
    {%- set w = c['window_days'] | int %}
    {%- set window_start = "(plant_dates.as_of - " ~ (w - 1) ~ ")" %}
    {#- inside each measurement subquery the plant-date is `evaluated` -#}
    {%- set in_window = "between (evaluated.as_of - " ~ (w - 1) ~ ") and evaluated.as_of" %}
    select
        plant_dates.company,
        plant_dates.plant_id,
        plant_dates.as_of,
        {{ c['gate_from'] }} as gate_from,
        {{ c['gate_to'] }} as gate_to,
        '{{ c['gate'] }}' as gate,
        '{{ c['criterion'] }}' as criterion,
        '{{ c['metric'] }}' as metric,
        '{{ c['comparator'] }}' as comparator,
        {{ c['threshold'] }} as threshold,
        {{ w }} as window_days,
        cast({{ window_start }} as date) as window_start,
        {{ loop.index }} as criterion_order,
    {%- if c['metric'] in ('mdq_score', 'mdq_completeness') %}
        {%- set col = 'mdq_score' if c['metric'] == 'mdq_score' else 'completeness' %}
        m.value,
        case
            when m.measured_on is null then 'no master-data quality snapshot in the window'
            when m.value is null then 'no master-data rows checked'
        end as not_evaluated_reason,
        'master data as of ' || cast(m.measured_on as string) as detail
    from plant_dates
    left join (
        -- the plant's snapshots in the window, newest first
        select
            evaluated.plant_id,
            evaluated.as_of,
            mdq.as_of as measured_on,
            mdq.{{ col }} as value,
            row_number() over (partition by evaluated.plant_id, evaluated.as_of order by mdq.as_of desc)
                as newest_first
        from plant_dates as evaluated
        inner join mdq
            on mdq.plant_id = evaluated.plant_id
            and mdq.as_of {{ in_window }}
    ) as m
        on m.plant_id = plant_dates.plant_id
        and m.as_of = plant_dates.as_of
        and m.newest_first = 1
    {%- elif c['metric'] in ('mes_line_coverage', 'oee_line_coverage') %}
        {%- set flag = 'has_mes_data' if c['metric'] == 'mes_line_coverage' else 'has_oee' %}
        case when coalesce(m.days_with_mes, 0) > 0 and lines.lines > 0
            then cast(coalesce(m.qualifying_lines, 0) as double) / lines.lines end as value,
        case
            when coalesce(lines.lines, 0) = 0 then 'no lines in the work-center master'
            when coalesce(m.days_with_mes, 0) = 0 then 'no MES data in the window'
        end as not_evaluated_reason,
        coalesce(m.qualifying_lines, 0) || ' of ' || coalesce(lines.lines, 0) || ' lines with {{
            'MES data' if flag == 'has_mes_data' else 'OEE' }} on >= {{ c['min_day_share'] }} of {{ w }} days'
            as detail
    from plant_dates
    left join lines on lines.plant_id = plant_dates.plant_id
    left join (
        select
            plant_id,
            as_of,
            count(*) filter (where line_share >= {{ c['min_day_share'] }}) as qualifying_lines,
            sum(mes_days) as days_with_mes
        from (
            -- per line: the share of the window's days with the flag, and its days with MES data
            select
                evaluated.plant_id,
                evaluated.as_of,
                line_days.line_id,
                cast(count(*) filter (where line_days.{{ flag }}) as double) / {{ w }} as line_share,
                count(*) filter (where line_days.has_mes_data) as mes_days
            from plant_dates as evaluated
            inner join line_days
                on line_days.plant_id = evaluated.plant_id
                and line_days.day {{ in_window }}
            group by evaluated.plant_id, evaluated.as_of, line_days.line_id
        ) as line_windows
        group by plant_id, as_of
    ) as m
        on m.plant_id = plant_dates.plant_id
        and m.as_of = plant_dates.as_of
    {%- elif c['metric'] == 'reason_coverage' %}
        {{ safe_divide('m.adot_with_reason_s', 'm.adot_s') }} as value,
        case
            when coalesce(m.work_center_days, 0) = 0 then 'no MES data in the window'
            when coalesce(m.adot_s, 0) = 0 then 'no unplanned downtime in the window'
        end as not_evaluated_reason,
        {{ number_text('coalesce(m.adot_with_reason_s, 0) / 3600', 1) }} || ' h of '
            || {{ number_text('coalesce(m.adot_s, 0) / 3600', 1) }} || ' h unplanned downtime with a catalogued reason'
            as detail
    from plant_dates
    left join (
        select
            evaluated.plant_id,
            evaluated.as_of,
            count(*) as work_center_days,
            sum(oee_days.adot_s) as adot_s,
            sum(oee_days.adot_with_valid_reason_s) as adot_with_reason_s
        from plant_dates as evaluated
        inner join oee_days
            on oee_days.plant_id = evaluated.plant_id
            and oee_days.day {{ in_window }}
        group by evaluated.plant_id, evaluated.as_of
    ) as m
        on m.plant_id = plant_dates.plant_id
        and m.as_of = plant_dates.as_of
    {%- elif c['metric'] == 'pdm_pilots_with_benefit' %}
        cast(coalesce(m.qualifying_pilots, 0) as double) as value,
        cast(null as string) as not_evaluated_reason,
        coalesce(m.qualifying_pilots, 0) || ' of ' || coalesce(m.candidate_pilots, 0)
            || ' pilots on critical assets with >= {{ c['min_benefit_months'] }} measured benefit months'
            || coalesce(' (' || m.pilot_ids || ')', '') as detail
    from plant_dates
    left join (
        select
            plant_id,
            as_of,
            count(*) as candidate_pilots,
            count(*) filter (where measured_months >= {{ c['min_benefit_months'] }}) as qualifying_pilots,
            -- a case, not a filter: Spark 4.0's string_agg fails on a filter in a grouped query (nulls are skipped)
            {{ ordered_string_agg("case when measured_months >= " ~ c['min_benefit_months'] ~ " then pilot_id end",
                                  "', '", 'pilot_id') }} as pilot_ids
        from (
            -- the candidate pilots and their measured benefit months from the pilot's start month up to D
            select
                evaluated.plant_id,
                evaluated.as_of,
                pilots.pilot_id,
                count(distinct benefit_months.month) as measured_months
            from plant_dates as evaluated
            inner join pilots
                on pilots.plant_id = evaluated.plant_id
                and pilots.started_on {{ in_window }}
            inner join critical_work_centers
                on critical_work_centers.plant_id = pilots.plant_id
                and critical_work_centers.work_center_id = pilots.work_center_id
            left join benefit_months
                on benefit_months.initiative_id = pilots.initiative_id
                and benefit_months.plant_id = pilots.plant_id
                and benefit_months.month >= date_trunc('month', pilots.started_on)
                and benefit_months.month <= evaluated.as_of
            where lower(pilots.technology) in (
                {%- for t in c['technologies'] %}'{{ t | lower | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %})
            group by evaluated.plant_id, evaluated.as_of, pilots.pilot_id
        ) as candidates
        group by plant_id, as_of
    ) as m
        on m.plant_id = plant_dates.plant_id
        and m.as_of = plant_dates.as_of
    {%- elif c['metric'] == 'pilot_to_scale_rate' %}
        {{ safe_divide('m.scaled', 'm.concluded') }} as value,
        case when coalesce(m.concluded, 0) = 0 then 'no concluded pilot at the plant in the window' end
            as not_evaluated_reason,
        coalesce(m.scaled, 0) || ' scaled of ' || coalesce(m.concluded, 0) || ' concluded (of '
            || coalesce(m.started, 0) || ' started)' as detail
    from plant_dates
    left join (
        -- the pilots started in the window, each with its status on D
        select
            evaluated.plant_id,
            evaluated.as_of,
            count(*) as started,
            count(*) filter (where evaluated.is_concluded) as concluded,
            count(*) filter (where evaluated.status = 'scaled') as scaled
        from pilot_status_on_date as evaluated
        where evaluated.started_on {{ in_window }}
        group by evaluated.plant_id, evaluated.as_of
    ) as m
        on m.plant_id = plant_dates.plant_id
        and m.as_of = plant_dates.as_of
    {%- elif c['metric'] == 'wave_realisation' %}
        {{ safe_divide('m.benefit', 'm.planned') }} as value,
        case
            when coalesce(m.initiatives, 0) = 0
                then 'no wave-{{ c['waves'] | join('/') }} initiative has reached the plant'
            when coalesce(m.planned, 0) = 0 then 'no planned benefit for its wave-{{ c['waves'] | join('/') }} initiatives'
        end as not_evaluated_reason,
        'realised ' || {{ number_text('coalesce(m.benefit, 0)') }} || ' of planned '
            || {{ number_text('coalesce(m.planned, 0)') }} || ' over ' || coalesce(m.initiatives, 0) || ' initiatives'
            as detail
    from plant_dates
    left join (
        select
            reached.plant_id,
            reached.as_of,
            count(*) as initiatives,
            sum(reached.planned_share) as planned,
            sum(coalesce(window_benefit.benefit, 0)) as benefit
        from (
            -- the wave's initiatives × the plants they reached by D, the planned benefit shared among those plants
            select
                dates.as_of,
                reach.initiative_id,
                reach.plant_id,
                initiatives.planned_annual_benefit
                    / count(*) over (partition by dates.as_of, reach.initiative_id) as planned_share
            from dates
            inner join reach on reach.first_reached_on <= dates.as_of
            inner join initiatives on initiatives.initiative_id = reach.initiative_id
            where initiatives.wave in ({{ c['waves'] | join(', ') }})
        ) as reached
        left join (
            -- realised benefit per initiative × plant over the benefit months in the window
            select
                dates.as_of,
                benefit_months.initiative_id,
                benefit_months.plant_id,
                sum(benefit_months.monthly_realised_benefit) as benefit
            from dates
            inner join benefit_months
                on benefit_months.month > dates.as_of - {{ w }}
                and benefit_months.month <= dates.as_of
            group by dates.as_of, benefit_months.initiative_id, benefit_months.plant_id
        ) as window_benefit
            on window_benefit.as_of = reached.as_of
            and window_benefit.initiative_id = reached.initiative_id
            and window_benefit.plant_id = reached.plant_id
        group by reached.plant_id, reached.as_of
    ) as m
        on m.plant_id = plant_dates.plant_id
        and m.as_of = plant_dates.as_of
    {%- elif c['metric'] == 'open_wishlist_initiatives' %}
        cast(coalesce(m.open_wishlist, 0) as double) as value,
        cast(null as string) as not_evaluated_reason,
        coalesce(m.open_wishlist, 0) || ' open wishlist initiatives' || coalesce(' (' || m.initiative_ids || ')', '')
            as detail
    from plant_dates
    left join (
        select
            plant_id,
            as_of,
            count(*) as open_wishlist,
            {{ ordered_string_agg('initiative_id', "', '", 'initiative_id') }} as initiative_ids
        from (
            -- the initiatives of wishlist pilots started in the window and running or stalled on D, each once (a
            -- distinct here, not in string_agg: Spark 4.0's string_agg fails on distinct in a grouped query)
            select distinct evaluated.plant_id, evaluated.as_of, evaluated.initiative_id
            from pilot_status_on_date as evaluated
            where evaluated.started_on {{ in_window }}
                and evaluated.is_wishlist
                and evaluated.status in ('running', 'stalled')
        ) as open_initiatives
        group by plant_id, as_of
    ) as m
        on m.plant_id = plant_dates.plant_id
        and m.as_of = plant_dates.as_of
    {%- else %}
        {{ exceptions.raise_compiler_error("readiness criterion " ~ c['criterion'] ~ ": unknown metric " ~ c['metric']) }}
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
)

select * from criterion_values
