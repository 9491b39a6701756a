-- audits.impossible_values_flow_and_macro_marts: no deal-flow, IPO or macro figure holds a value
-- it cannot take.
-- severity: blocking
--
-- Guards the counting and averaging of these marts: filing and deal counts, shares and money
-- are never negative; a week or month cannot have read more sessions than it has; a 52-week
-- low of the claims average is never above the current average (the window includes it); the
-- Fed cuts of a year are not negative; the unemployment rate is a percentage; NaN and infinity
-- appear nowhere (NULL is allowed: "not enough history"). Vendor fields that can be odd and
-- still true (an IPO price range, a spread's sign) are left to the sources' suites. Returns
-- one row per offending row: the mart, the key and what is wrong.
with deal_flow_daily_checks as (
    select
        'marts.deal_flow_daily' as mart,
        date || ' ' || category as key,
        case
            when filings < 0 then 'filings = ' || filings || ', negative'
            when filings_30 < 0 then 'filings_30 = ' || filings_30 || ', negative'
            when not (filings_30_avg_252 >= 0 and isfinite(filings_30_avg_252))
                then 'filings_30_avg_252 = ' || filings_30_avg_252 || ', negative or not finite'
            when not (filings_30_ratio >= 0 and isfinite(filings_30_ratio))
                then 'filings_30_ratio = ' || filings_30_ratio || ', negative or not finite'
            when not isfinite(filings_30_z) then 'filings_30_z = ' || filings_30_z || ', not finite'
        end as problem
    from marts.deal_flow_daily
),

period_checks as (
    select
        'marts.deal_flow_weekly' as mart,
        week_start || ' ' || category as key,
        case
            when filings < 0 then 'filings = ' || filings || ', negative'
            when not (sessions_read between 0 and sessions)
                then 'sessions_read = ' || sessions_read || ' of ' || sessions || ' sessions'
        end as problem
    from marts.deal_flow_weekly
    union all
    select
        'marts.deal_flow_monthly' as mart,
        month_start || ' ' || category as key,
        case
            when filings < 0 then 'filings = ' || filings || ', negative'
            when not (sessions_read between 0 and sessions)
                then 'sessions_read = ' || sessions_read || ' of ' || sessions || ' sessions'
        end as problem
    from marts.deal_flow_monthly
),

ipo_checks as (
    select
        'marts.ipo_calendar' as mart,
        deal_id as key,
        case
            when shares < 0 then 'shares = ' || shares || ', negative'
            when not (offer_amount >= 0 and isfinite(offer_amount))
                then 'offer_amount = ' || offer_amount || ', negative or not finite'
            when not (proceeds >= 0 and isfinite(proceeds))
                then 'proceeds = ' || proceeds || ', negative or not finite'
        end as problem
    from marts.ipo_calendar
    union all
    select
        'marts.ipo_flow_daily' as mart,
        cast(date as varchar) as key,
        case
            when priced_30d < 0 then 'priced_30d = ' || priced_30d || ', negative'
            when filed_30d < 0 then 'filed_30d = ' || filed_30d || ', negative'
            when withdrawn_30d < 0 then 'withdrawn_30d = ' || withdrawn_30d || ', negative'
            when not (proceeds_30d >= 0 and isfinite(proceeds_30d))
                then 'proceeds_30d = ' || proceeds_30d || ', negative or not finite'
            when not (proceeds_30d_ratio >= 0 and isfinite(proceeds_30d_ratio))
                then 'proceeds_30d_ratio = ' || proceeds_30d_ratio || ', negative or not finite'
        end as problem
    from marts.ipo_flow_daily
),

macro_checks as (
    select
        'marts.macro_daily' as mart,
        cast(date as varchar) as key,
        case
            when not (claims_4wk > 0 and isfinite(claims_4wk))
                then 'claims_4wk = ' || claims_4wk || ', not positive and finite'
            when claims_4wk_low_52wk > claims_4wk
                then
                    'claims_4wk_low_52wk = ' || claims_4wk_low_52wk
                    || ' above claims_4wk = ' || claims_4wk
            when fed_cuts_12m < 0 then 'fed_cuts_12m = ' || fed_cuts_12m || ', negative'
            when not (unemployment_rate between 0 and 100)
                then 'unemployment_rate = ' || unemployment_rate || ', not a percentage'
            when not isfinite(hy_spread_bp) then 'hy_spread_bp = ' || hy_spread_bp || ', not finite'
            when not isfinite(ig_spread_bp) then 'ig_spread_bp = ' || ig_spread_bp || ', not finite'
            when not isfinite(curve_10y2y) then 'curve_10y2y = ' || curve_10y2y || ', not finite'
            when not isfinite(fed_funds) then 'fed_funds = ' || fed_funds || ', not finite'
            when not isfinite(nfci) then 'nfci = ' || nfci || ', not finite'
            when not isfinite(vix) then 'vix = ' || vix || ', not finite'
        end as problem
    from marts.macro_daily
),

checked as (
    select * from deal_flow_daily_checks
    union all
    select * from period_checks
    union all
    select * from ipo_checks
    union all
    select * from macro_checks
)

select
    mart,
    key,
    problem
from checked
where problem is not null
order by mart, key
