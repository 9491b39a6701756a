-- alerts/events/list: `rotation alerts list`: the events on or after $since with their
-- delivery state per channel, or why they are muted or only recorded (alerts/outbox.py).
with params as (
    select cast($since as date) as since
),

targets as (
    select
        e.event_id,
        unnest(e.channels) as channel
    from alerts.events as e
),

states as (
    select
        t.event_id,
        string_agg(
            t.channel || ': ' || case
                when d.delivered_at is not null
                    then 'delivered ' || strftime(d.delivered_at, '%Y-%m-%d %H:%M')
                when d.in_flight then 'interrupted (will re-send)'
                when d.attempts > 0
                    then 'failed x' || d.attempts || ' (' || coalesce(d.last_error, '?') || ')'
                else 'pending'
            end,
            '; ' order by t.channel
        ) as delivery
    from targets as t
    left join alerts.deliveries as d
        on t.event_id = d.event_id and t.channel = d.channel
    group by t.event_id
)

select
    e.created_at,
    e.event_date,
    e.severity,
    e.kind,
    e.transition,
    e.rule,
    e.subject,
    e.value,
    e.threshold,
    case
        when e.muted_by is not null then 'muted (' || e.muted_by || ')'
        when e.suppressed then 'recorded only'
        else coalesce(s.delivery, '')
    end as delivery,
    e.event_id
from alerts.events as e
left join states as s on e.event_id = s.event_id
cross join params as p
where e.event_date >= p.since
order by e.event_date desc, e.created_at desc, e.rule asc, e.subject asc
