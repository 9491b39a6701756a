-- alerts/events/pending: the events a channel ($channel) has not accepted yet, with whether an
-- earlier send was interrupted mid-flight (alerts/deliver.py: re-sent as a possible repeat).
-- Read by column name into alerts/events.py Event.from_row.
with params as (
    select cast($channel as varchar) as channel
)

select
    e.event_id,
    e.rule,
    e.subject,
    e.event_date,
    e.transition,
    e.kind,
    e.severity,
    e.value,
    e.threshold,
    e.title,
    e.body_text,
    e.body_html,
    e.slack_block,
    e.channels,
    e.suppressed,
    e.run_id,
    e.runbook_url,
    e.started_on,
    coalesce(d.in_flight, false) as in_flight
from alerts.events as e
cross join params as p
left join alerts.deliveries as d
    on e.event_id = d.event_id and p.channel = d.channel
where not e.suppressed and list_contains(e.channels, p.channel) and d.delivered_at is null
