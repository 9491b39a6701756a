-- audits.unique_keys_flow_and_macro_marts: every deal-flow, IPO, macro and dashboard mart
-- holds one row per natural key.
-- severity: blocking
--
-- Guards: marts.deal_flow_daily (date, category), marts.deal_flow_weekly (week_start,
-- category), marts.deal_flow_monthly (month_start, category), marts.ipo_calendar (deal_id),
-- marts.ipo_flow_daily (date), marts.macro_daily (date), marts.daily_dashboard (date). The
-- as-of joins behind these marts fan out when two rows qualify for one session; a session
-- counted twice doubles what the alert rules read, so the build is not kept. Returns one row
-- per duplicated key: the mart, the key as text and how many rows share it.
with deal_flow_daily_keys as (
    select
        'marts.deal_flow_daily' as mart,
        date || ' ' || category as key,
        count(*) as copies
    from marts.deal_flow_daily
    group by date, category
    having count(*) > 1
),

deal_flow_weekly_keys as (
    select
        'marts.deal_flow_weekly' as mart,
        week_start || ' ' || category as key,
        count(*) as copies
    from marts.deal_flow_weekly
    group by week_start, category
    having count(*) > 1
),

deal_flow_monthly_keys as (
    select
        'marts.deal_flow_monthly' as mart,
        month_start || ' ' || category as key,
        count(*) as copies
    from marts.deal_flow_monthly
    group by month_start, category
    having count(*) > 1
),

ipo_calendar_keys as (
    select
        'marts.ipo_calendar' as mart,
        deal_id as key,
        count(*) as copies
    from marts.ipo_calendar
    group by deal_id
    having count(*) > 1
),

ipo_flow_keys as (
    select
        'marts.ipo_flow_daily' as mart,
        cast(date as varchar) as key,
        count(*) as copies
    from marts.ipo_flow_daily
    group by date
    having count(*) > 1
),

macro_keys as (
    select
        'marts.macro_daily' as mart,
        cast(date as varchar) as key,
        count(*) as copies
    from marts.macro_daily
    group by date
    having count(*) > 1
),

dashboard_keys as (
    select
        'marts.daily_dashboard' as mart,
        cast(date as varchar) as key,
        count(*) as copies
    from marts.daily_dashboard
    group by date
    having count(*) > 1
),

duplicated as (
    select * from deal_flow_daily_keys
    union all
    select * from deal_flow_weekly_keys
    union all
    select * from deal_flow_monthly_keys
    union all
    select * from ipo_calendar_keys
    union all
    select * from ipo_flow_keys
    union all
    select * from macro_keys
    union all
    select * from dashboard_keys
)

select
    mart,
    key,
    copies
from duplicated
order by mart, key
