-- alerts/alertmanager_firing: the fire events Alertmanager holds as firing now, to re-post them
-- (alerts/refresh.py refresh_alertmanager). Alertmanager resolves an alert it has not heard
-- of for a while, so, like Prometheus, each run repeats the alerts that still fire; the same
-- labels and startsAt make it the same alert (no new notification).
-- The rule still fires (alerts.rule_state), the event is the fire that started it, it was
-- delivered to Alertmanager (so never a muted one), and not in this run ($run_id).
-- Read by column name into alerts/events.py Event.from_row.
with params as (
    select cast($run_id as varchar) as run_id
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
    e.started_on
from alerts.rule_state as s
inner join alerts.events as e
    on
        s.rule = e.rule
        and s.subject = e.subject
        and s.last_fired_date = e.event_date
inner join alerts.deliveries as d
    on e.event_id = d.event_id
cross join params as p
where
    s.status = 'firing'
    and e.transition = 'fired'
    and d.channel = 'alertmanager'
    and d.delivered_at is not null
    and d.run_id <> p.run_id
order by e.event_date, e.rule, e.subject
