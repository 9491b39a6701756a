-- alerts/events/waiting: per channel, the deliverable events no send has reached yet
-- (alerts/deliver.py reports those of channels this run does not configure).
select
    t.channel,
    count(*) as events
from (
    select
        event_id,
        unnest(channels) as channel
    from alerts.events
    where not suppressed
) as t
left join alerts.deliveries as d on t.event_id = d.event_id and t.channel = d.channel
where d.delivered_at is null
group by t.channel
