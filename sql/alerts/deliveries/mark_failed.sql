-- alerts/deliveries/mark_failed: the channel refused the message; the event stays in the outbox
-- for the next run, with the (redacted) reason (alerts/deliver.py).
update alerts.deliveries
set in_flight = false, last_error = $error
where event_id = $event_id and channel = $channel
