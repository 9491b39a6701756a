-- reporting/run_alerts: the alert events one run wrote to the outbox, most severe first, for
-- the run's summary artifact. Parameters: $1 run_id, $2 rows.
with events as (
    select
        event_date,
        severity,
        transition,
        title,
        subject,
        suppressed,
        case severity when 'critical' then 0 when 'warning' then 1 else 2 end as severity_rank
    from alerts.events
    where run_id = $1
)

select
    event_date,
    severity,
    transition,
    title,
    subject,
    suppressed
from events
order by severity_rank asc, event_date desc, title asc, subject asc
limit $2
