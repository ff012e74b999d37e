-- Every pilot's status over time as half-open intervals [valid_from, valid_to), stalled included.
-- Status on a date D = the interval with valid_from <= D < coalesce(valid_to, +infinity).
--   * logged status: the last status log entry on or before D (SPEC §4);
--   * before its first log entry a started pilot is `running` (origin 'implicit_start');
--   * a `running` stretch that reaches past planned_end_on + var('stalled_grace_days') is split there: from the
--     first day past the grace period on it is `stalled` until the next log entry (which may still scale it).
with pilots as (
    select
        pilot_id,
        started_on,
        planned_end_on,
        -- first day *past* planned end + grace; null when the pilot has no planned end (then it never stalls)
        planned_end_on + {{ var('stalled_grace_days') }} + 1 as stalled_from
    from {{ ref('stg_pilots__pilots') }}
),

status_log as (
    select pilot_id, status_on, status
    from {{ ref('stg_pilots__pilot_status_log') }}
),

first_entry as (
    select pilot_id, min(status_on) as first_status_on
    from status_log
    group by pilot_id
),

logged as (
    select
        pilot_id,
        status,
        status_on as valid_from,
        lead(status_on) over (partition by pilot_id order by status_on) as valid_to,
        'status_log' as origin
    from status_log

    union all

    -- started but nothing logged yet (or logged only later): running since started_on
    select
        pilots.pilot_id,
        'running' as status,
        pilots.started_on as valid_from,
        first_entry.first_status_on as valid_to,
        'implicit_start' as origin
    from pilots
    left join first_entry on pilots.pilot_id = first_entry.pilot_id
    where first_entry.first_status_on is null or pilots.started_on < first_entry.first_status_on
),

with_grace as (
    select logged.*, pilots.stalled_from
    from logged
    left join pilots on logged.pilot_id = pilots.pilot_id
),

split as (
    -- scaled / stopped: as logged
    select pilot_id, status as logged_status, status, valid_from, valid_to, origin
    from with_grace
    where status <> 'running'

    union all

    -- the running stretch up to the end of the grace period
    select
        pilot_id,
        status as logged_status,
        'running' as status,
        valid_from,
        case
            when stalled_from is null then valid_to
            when valid_to is null then stalled_from
            else least(valid_to, stalled_from)
        end as valid_to,
        origin
    from with_grace
    where status = 'running' and (stalled_from is null or stalled_from > valid_from)

    union all

    -- the same running stretch past the grace period: stalled
    select
        pilot_id,
        status as logged_status,
        'stalled' as status,
        greatest(valid_from, stalled_from) as valid_from,
        valid_to,
        origin
    from with_grace
    where status = 'running' and stalled_from is not null and (valid_to is null or stalled_from < valid_to)
)

select
    pilot_id,
    status,
    logged_status,
    valid_from,
    valid_to,
    status in ('scaled', 'stopped', 'stalled') as is_concluded,
    origin
from split
