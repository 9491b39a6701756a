-- reporting/last_session: the last session with indicators on or before $1 (the session
-- a report describes when the asked-for date has none, e.g. a holiday or a run not yet made).
with sessions as (
    select max(date) as date
    from marts.relative_strength
    where date <= $1
)

select date
from sessions
