-- alerts/alertmanager_firing: the fire events Alertmanager holds as firing now, to re-post them
-- (alerts/bridges.py refresh_alertmanager). Alertmanager resolves an alert it has not heard
-- of for a while, so, like Prometheus, each run repeats the alerts that still fire; the same
-- labels and startsAt make it the same alert (no new notification).
-- The rule still fires (alerts.rule_state), the event is the fire that started it, it was
-- delivered to Alertmanager (so never a muted one), and not in this run ($run_id).
-- Same columns as alerts/deliver.py reads pending events.
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
    false as in_flight,
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
