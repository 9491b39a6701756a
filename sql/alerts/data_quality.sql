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
--                      (batch_ok with rows passed): a source that is down keeps growing. Only
--                      on sessions a run checked (some source validated a batch for it): when
--                      the machine was off for a week, nothing was checked on those sessions,
--                      and the catch-up run that heals the gap must not raise a critical
--                      "source down" for the past. A source that is really down is still
--                      counted from its last good batch, on the session of the run that sees it.
--   open_incidents     per incident of ops.incidents (damage a stage contained: a file that
--                      could not be read, a symbol that delivered nothing, an index cut short,
--                      a batch whose load failed): 1 on each session from the one it was first
--                      seen on while it is open, 0 from the session of the run that resolved it.
--                      The subject is "<source> <subject>: <detail as first seen>", so the alert
--                      names the file or value and the reason and stays one subject for the
--                      incident's whole life: with threshold 0.5, no hysteresis, no cooldown and
--                      min_sessions 1 the crossing machinery fires once when it opens, stays
--                      silent while it lasts and re-arms when it is resolved (a recurrence
--                      later is a new incident and fires again). $subject is '*', a source
--                      (prices, edgar, ...) or a whole subject.
--                      Sources of many members (member_prices, holdings, xbrl: one incident
--                      per index member or company) are one subject per source instead,
--                      "<source>: damage to members or companies", whose value is the number
--                      of its incidents open on the session: the source fires once when its
--                      first member is damaged and resolves when the last is whole, however
--                      many members there are (a few hundred members would otherwise be a
--                      few hundred alerts). Its detail counts the open incidents by kind
--                      ("41 members with quarantined rows, 3 held shifts; see `rotation
--                      status`"); the per-member detail stays in ops.incidents.
-- A run's session is ops.runs.as_of (the validation time's date when the run row is missing).
-- alert_sessions(date, n) is the NYSE calendar with its ordinal n, registered by
-- alerts/queries.py from rotation.calendar (SQL has no exchange calendar of its own).
--
-- Parameters (named; alerts/queries.py binds them): $subject (the subject the rule watches,
-- or * for every subject of the family), $indicator (the column to watch, validated in
-- alerts/rules.py), $start and $end (the sessions to return, inclusive).
-- Returns (subject, date, value, detail); sql/alerts/crossings.sql turns them into
-- breached/cleared and carries detail (null but for the grouped incident sources) to the event.
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

checked_sessions as (
    select distinct coalesce(r.as_of, cast(v.validated_at as date)) as date
    from ops.validation_runs as v
    left join ops.runs as r on v.run_id = r.run_id
    where $indicator = 'sessions_since_ok'
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
    where ss.date in (select c.date from checked_sessions as c)
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

incidents as (
    select
        i.kind,
        i.source in ('member_prices', 'holdings', 'xbrl') as grouped,
        case
            when i.source = 'member_prices' then 'members'
            when i.source = 'xbrl' then 'companies'
            else 'members or files'
        end as noun,
        case
            when i.source in ('member_prices', 'holdings', 'xbrl')
                then i.source || ': damage to members or companies'
            else i.source || ' ' || i.subject || ': ' || coalesce(i.first_detail, i.detail)
        end as subject,
        coalesce(i.session, opened.as_of, cast(i.first_seen as date)) as opened_on,
        case
            when i.resolved_at is not null
                then coalesce(resolved.as_of, cast(i.resolved_at as date))
        end as resolved_on
    from ops.incidents as i
    left join ops.runs as opened on i.first_run_id = opened.run_id
    left join ops.runs as resolved on i.resolved_run_id = resolved.run_id
    where
        $indicator = 'open_incidents'
        and ($subject = '*' or i.source = $subject or i.subject = $subject)
),

incident_kind_days as (
    select
        inc.subject,
        inc.grouped,
        inc.noun,
        inc.kind,
        s.date,
        count(*) filter (
            where inc.resolved_on is null or s.date < inc.resolved_on
        ) as open_count
    from incidents as inc
    inner join sessions as s
        on inc.opened_on <= s.date
    where inc.resolved_on is null or inc.resolved_on >= $start
    group by inc.subject, inc.grouped, inc.noun, inc.kind, s.date
),

incident_days as (
    select
        subject,
        date,
        -- one incident per subject is open or not (a recurrence is a new incident with the
        -- same subject, so max); a grouped source counts its open incidents
        case
            when bool_or(grouped) then cast(sum(open_count) as double)
            when max(open_count) > 0 then 1.0
            else 0.0
        end as value,
        case
            when bool_or(grouped) and sum(open_count) > 0
                then string_agg(
                    case
                        when open_count = 0 then null
                        when kind = 'level_shift'
                            then open_count || ' held shift' || if(open_count = 1, '', 's')
                        when kind = 'rows_quarantined'
                            then open_count || ' ' || noun || ' with quarantined rows'
                        else open_count || ' ' || noun || ' with ' || replace(kind, '_', ' ')
                    end,
                    ', ' order by open_count desc, kind asc
                ) || '; see `rotation status`'
        end as detail
    from incident_kind_days
    group by subject, date
),

series as (
    select
        subject,
        date,
        value,
        cast(null as varchar) as detail
    from stale
    where $indicator = 'stale_sessions'
    union all
    select
        subject,
        date,
        value,
        null as detail
    from blocked
    where $indicator = 'blocked_batches'
    union all
    select
        subject,
        date,
        value,
        null as detail
    from since_ok
    where $indicator = 'sessions_since_ok'
    union all
    select
        subject,
        date,
        value,
        detail
    from incident_days
    where $indicator = 'open_incidents'
)

select
    subject,
    date,
    value,
    detail
from series
