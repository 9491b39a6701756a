-- alerts/muting/mute_event: an undelivered event a silence now covers is kept in the outbox,
-- recorded as muted (with the silence), and no longer sent (alerts/deliver.py).
update alerts.events
set suppressed = true, muted_by = $muted_by, silence_id = $silence_id
where event_id = $event_id and not suppressed
