-- alerts/events/insert: store one event in the outbox, once (alerts/store.py). The event id
-- is a hash of what makes the event itself, so a re-run or a backfill that meets the same
-- transition again changes nothing; `returning` says whether this call stored it. The named
-- parameters are the Event's fields (alerts/events.py Event.to_row).
insert into alerts.events (
    event_id, rule, subject, event_date, transition, kind, severity, value, threshold, title,
    body_text, body_html, slack_block, channels, suppressed, run_id, muted_by, silence_id,
    runbook_url, started_on
)
values (
    $event_id, $rule, $subject, $event_date, $transition, $kind, $severity, $value, $threshold,
    $title, $body_text, $body_html, $slack_block, $channels, $suppressed, $run_id, $muted_by,
    $silence_id, $runbook_url, $started_on
)
on conflict (event_id) do nothing
returning event_id
