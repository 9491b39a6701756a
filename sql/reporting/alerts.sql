-- reporting/alerts: the alert events of the sessions before a report's date, newest first,
-- most severe first within a day. Parameters: $1, $2 (inclusive), $3 (rows).
with window_rows as (
    select
        event_date,
        severity,
        kind,
        transition,
        rule,
        subject,
        title,
        value,
        threshold,
        case severity when 'critical' then 0 when 'warning' then 1 else 2 end as severity_rank
    from alerts.events
    where event_date between $1 and $2
)

select
    event_date,
    severity,
    kind,
    transition,
    rule,
    subject,
    title,
    value,
    threshold
from window_rows
order by event_date desc, severity_rank asc, rule asc, subject asc
limit $3
