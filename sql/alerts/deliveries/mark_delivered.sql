-- alerts/deliveries/mark_delivered: the channel accepted the message; $note keeps what it
-- said besides (e.g. a refused e-mail recipient), never re-sent (alerts/deliver.py).
update alerts.deliveries
set delivered_at = now(), in_flight = false, last_error = $note
where event_id = $event_id and channel = $channel
