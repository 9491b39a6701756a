-- ops/incidents_open_list: every open incident, newest first (status and the run summary).
select
    source,
    subject,
    kind,
    detail,
    session,
    first_seen,
    last_seen
from ops.incidents
where resolved_at is null
order by last_seen desc, source asc, subject asc
