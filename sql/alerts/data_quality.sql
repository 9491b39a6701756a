-- alerts/data_quality: candidate rows of the data-quality and source-health rules.
--
-- Indicators ($indicator):
--   stale_sessions     per symbol of raw.prices except index members: NYSE sessions between the symbol's latest
--                      stored session on or before the evaluated session and that session
--                      (0 = up to date, 1 = the expected session is missing, ...).
--   blocked_batches    per source of ops.validation_runs: 1 when the latest validated batch of
--                      the runs for that session was blocked (batch_ok false), else 0; no row
--                      on sessions without a validation.
--   sessions_since_ok  per source: NYSE sessions since the source last delivered a good batch
--                      (batch_ok with rows passed): a source that is down keeps growing.
-- A run's session is ops.runs.as_of (the validation time's date when the run row is missing).
-- alert_sessions(date, n) is the NYSE calendar with its ordinal n, registered by
-- alerts/queries.py from rotation.calendar (SQL has no exchange calendar of its own).
--
-- Parameters (named; alerts/queries.py binds them): $subject (the subject the rule watches,
-- or * for every subject of the family), $indicator (the column to watch, validated in
-- alerts/rules.py), $start and $end (the sessions to return, inclusive).
-- Returns (subject, date, value); sql/alerts/crossings.sql turns them into breached/cleared.
with sessions as (
    select
        date,
        n
    from alert_sessions
    where date between $start and $end
),

symbols as (
    select distinct symbol as subject
    from raw.prices
    where
        $indicator = 'stale_sessions' and ($subject = '*' or symbol = $subject)
        -- index members (ops.member_symbols) are priced for breadth; one that leaves stops
        -- being fetched and goes stale by design, so they are watched as one source instead
        and symbol not in (select m.symbol from ops.member_symbols as m)
),

symbol_sessions as (
    select
        sy.subject,
        s.date,
        s.n
    from symbols as sy
    cross join sessions as s
),

latest_price as (
    select
        ss.subject,
        ss.date,
        ss.n,
        p.date as last_date
    from symbol_sessions as ss
    asof inner join raw.prices as p
        on ss.subject = p.symbol and ss.date >= p.date
),

stale as (
    select
        lp.subject,
        lp.date,
        cast(lp.n - cal.n as double) as value
    from latest_price as lp
    asof inner join alert_sessions as cal
        on lp.last_date >= cal.date
),

batches as (
    select
        v.source as subject,
        coalesce(r.as_of, cast(v.validated_at as date)) as date,
        v.batch_ok,
        v.rows_passed,
        v.validated_at
    from ops.validation_runs as v
    left join ops.runs as r on v.run_id = r.run_id
    where
        $indicator in ('blocked_batches', 'sessions_since_ok')
        and ($subject = '*' or v.source = $subject)
),

blocked as (
    select
        subject,
        date,
        case when arg_max(batch_ok, validated_at) then 0.0 else 1.0 end as value
    from batches
    where date between $start and $end
    group by subject, date
),

good_batches as (
    select distinct
        subject,
        date
    from batches
    where batch_ok and rows_passed > 0
),

source_sessions as (
    select
        src.subject,
        s.date,
        s.n
    from (select distinct subject from batches) as src
    cross join sessions as s
),

latest_good as (
    select
        ss.subject,
        ss.date,
        ss.n,
        g.date as last_good
    from source_sessions as ss
    asof inner join good_batches as g
        on ss.subject = g.subject and ss.date >= g.date
),

since_ok as (
    select
        lg.subject,
        lg.date,
        cast(lg.n - cal.n as double) as value
    from latest_good as lg
    asof inner join alert_sessions as cal
        on lg.last_good >= cal.date
),

series as (
    select
        subject,
        date,
        value
    from stale
    where $indicator = 'stale_sessions'
    union all
    select
        subject,
        date,
        value
    from blocked
    where $indicator = 'blocked_batches'
    union all
    select
        subject,
        date,
        value
    from since_ok
    where $indicator = 'sessions_since_ok'
)

select
    subject,
    date,
    value
from series
