{#- The counted pieces of MES state intervals under the overlap rule (int_machine_state_daily.yml): where intervals of
    a work center overlap, every instant counts once, for the interval that started last. `ordered` is a relation of
    positive intervals (ended_at > started_at: all of them, or any subset holding every interval that is cut or
    cuts, with every other interval of the work center counting whole outside the macro) with plant_id,
    work_center_id, started_at, ended_at, state, reason_code, interval_seq (row_number in the order started_at, ended_at, state, reason_code per work center) and
    next_started_at (the next interval's start in that order). One row per counted piece: plant_id, work_center_id,
    interval_seq, state, reason_code, started_at, piece_started_at, piece_ended_at. Used by int_machine_state_daily
    (what counts) and int_machine_state_defects (what was cut). -#}
{% macro mes_counted_pieces(ordered) -%}
(
    -- the common case: no later interval starts before this one ends, so all of it counts
    select plant_id, work_center_id, interval_seq, state, reason_code, started_at,
        started_at as piece_started_at, ended_at as piece_ended_at
    from {{ ordered }}
    where next_started_at is null or next_started_at >= ended_at
    union all
    -- an overlapped interval counts where no later interval covers it: the later intervals' spans inside it and a
    -- zero-length span at its end, in start order; each gap before a span is a counted piece
    select plant_id, work_center_id, interval_seq, state, reason_code, started_at, covered_until, span_start
    from (
        select
            spans.*,
            coalesce(max(span_end) over (
                partition by plant_id, work_center_id, interval_seq order by span_start, span_end
                rows between unbounded preceding and 1 preceding
            ), started_at) as covered_until
        from (
            select
                overlapped.plant_id, overlapped.work_center_id, overlapped.interval_seq, overlapped.state,
                overlapped.reason_code, overlapped.started_at,
                later.started_at as span_start,
                least(later.ended_at, overlapped.ended_at) as span_end
            from {{ ordered }} as overlapped
            inner join {{ ordered }} as later
                on later.plant_id = overlapped.plant_id
                and later.work_center_id = overlapped.work_center_id
                and later.interval_seq > overlapped.interval_seq
                and later.started_at < overlapped.ended_at
            where overlapped.next_started_at < overlapped.ended_at
            union all
            select plant_id, work_center_id, interval_seq, state, reason_code, started_at, ended_at, ended_at
            from {{ ordered }}
            where next_started_at < ended_at
        ) as spans
    ) as covered
    where span_start > covered_until
)
{%- endmacro %}
