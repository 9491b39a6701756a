-- alerts/events/waiting_count: how many earlier events still wait in the outbox for at least
-- one channel (alerts/review.py preview says so under what a run would add).
select count(distinct e.event_id) as waiting
from (
    select
        event_id,
        unnest(channels) as channel
    from alerts.events
    where not suppressed
) as e
left join alerts.deliveries as d
    on e.event_id = d.event_id and e.channel = d.channel
where d.delivered_at is null
