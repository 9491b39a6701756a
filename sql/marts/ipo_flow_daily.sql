-- IPO activity per NYSE session from the Nasdaq calendar: deals priced, filed and withdrawn
-- and proceeds raised over the last 30 calendar days, and proceeds against the trailing
-- year's 30-day average (proceeds over 365 days x 30/365).
-- grain: date
--
-- The trailing-year figures are NULL until the calendar history read so far reaches a year
-- back (calendar_start = first day of the oldest calendar month loaded): a short history is
-- not a collapse in issuance.
with sessions as (
    select date
    from staging.dashboard_sessions
),

history as (
    select min(strptime(calendar_month || '-01', '%Y-%m-%d'))::date as calendar_start
    from marts.ipo_calendar
),

events as (
    select
        'priced' as event,
        priced_date as event_date,
        proceeds as amount
    from marts.ipo_calendar
    where status = 'priced' and priced_date is not null
    union all
    select
        'filed' as event,
        filed_date as event_date,
        null as amount
    from marts.ipo_calendar
    where filed_date is not null
    union all
    select
        'withdrawn' as event,
        withdrawn_date as event_date,
        null as amount
    from marts.ipo_calendar
    where status = 'withdrawn' and withdrawn_date is not null
),

windows as (
    select
        sessions.date,
        count(*) filter (where e.event = 'priced' and e.event_date > sessions.date - 30)
            as priced_30d,
        coalesce(sum(e.amount) filter (where e.event_date > sessions.date - 30), 0)
            as proceeds_30d,
        coalesce(sum(e.amount), 0) as proceeds_365d,
        count(*) filter (where e.event = 'filed' and e.event_date > sessions.date - 30)
            as filed_30d,
        count(*) filter (where e.event = 'withdrawn' and e.event_date > sessions.date - 30)
            as withdrawn_30d
    from sessions
    left join events as e
        on sessions.date >= e.event_date and e.event_date > sessions.date - 365
    group by sessions.date
),

final as (
    select
        windows.date,
        windows.priced_30d,
        windows.proceeds_30d,
        windows.filed_30d,
        windows.withdrawn_30d,
        case
            when history.calendar_start <= windows.date - 364
                then windows.proceeds_365d * 30.0 / 365
        end as proceeds_30d_avg_365d,
        case
            when history.calendar_start <= windows.date - 364
                then windows.proceeds_30d / nullif(windows.proceeds_365d * 30.0 / 365, 0)
        end as proceeds_30d_ratio
    from windows
    cross join history
)

select *
from final
