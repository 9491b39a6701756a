-- reporting/member_incidents: the open damage of the sources of many members (member_prices,
-- holdings, xbrl), one row per member, newest first: the per-member detail behind the one
-- alert and the one run-output line of each such source, for the run's summary artifact.
select
    source,
    subject,
    kind,
    detail,
    session
from ops.incidents
where
    resolved_at is null
    and source in ('member_prices', 'holdings', 'xbrl')
order by last_seen desc, source asc, subject asc
