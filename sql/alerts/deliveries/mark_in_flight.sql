-- alerts/deliveries/mark_in_flight: committed just before a message is sent (alerts/deliver.py),
-- so a process that dies between the send and mark_delivered leaves a trace and the next run
-- re-sends the event as a possible repeat.
insert into alerts.deliveries (event_id, channel, attempts, in_flight, last_attempt_at, run_id)
values ($event_id, $channel, 1, true, now(), $run_id)
on conflict (event_id, channel) do update set
    attempts = alerts.deliveries.attempts + 1,
    in_flight = true,
    last_attempt_at = now(),
    run_id = excluded.run_id
