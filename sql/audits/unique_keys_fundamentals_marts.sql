-- audits.unique_keys_fundamentals_marts: every constituents and valuation mart holds one row
-- per natural key.
-- severity: blocking
--
-- Guards: marts.earnings_ttm (cik, known_from), marts.fund_valuation (session, fund),
-- marts.valuation_gap (session, pair), marts.latest_valuation (fund),
-- marts.holdings_changes (fund, as_of, ticker, change), marts.fund_pe_cross_check (fund,
-- session), marts.shiller_context (month). The point-in-time as-of joins behind
-- them fan out when two versions qualify for one day; a member counted twice moves the
-- aggregate P/E without anyone seeing why, so the build is not kept. Returns one row per
-- duplicated key: the mart, the key as text and how many rows share it.
with earnings_keys as (
    select
        'marts.earnings_ttm' as mart,
        cik || ' ' || known_from as key,
        count(*) as copies
    from marts.earnings_ttm
    group by cik, known_from
    having count(*) > 1
),

valuation_keys as (
    select
        'marts.fund_valuation' as mart,
        session || ' ' || fund as key,
        count(*) as copies
    from marts.fund_valuation
    group by session, fund
    having count(*) > 1
),

gap_keys as (
    select
        'marts.valuation_gap' as mart,
        session || ' ' || pair as key,
        count(*) as copies
    from marts.valuation_gap
    group by session, pair
    having count(*) > 1
),

latest_keys as (
    select
        'marts.latest_valuation' as mart,
        fund as key,
        count(*) as copies
    from marts.latest_valuation
    group by fund
    having count(*) > 1
),

change_keys as (
    select
        'marts.holdings_changes' as mart,
        fund || ' ' || as_of || ' ' || coalesce(ticker, '') || ' ' || change as key,
        count(*) as copies
    from marts.holdings_changes
    group by fund, as_of, ticker, change
    having count(*) > 1
),

cross_check_keys as (
    select
        'marts.fund_pe_cross_check' as mart,
        fund || ' ' || session as key,
        count(*) as copies
    from marts.fund_pe_cross_check
    group by fund, session
    having count(*) > 1
),

shiller_keys as (
    select
        'marts.shiller_context' as mart,
        cast(month as varchar) as key,
        count(*) as copies
    from marts.shiller_context
    group by month
    having count(*) > 1
),

duplicated as (
    select * from earnings_keys
    union all
    select * from valuation_keys
    union all
    select * from gap_keys
    union all
    select * from latest_keys
    union all
    select * from change_keys
    union all
    select * from cross_check_keys
    union all
    select * from shiller_keys
)

select
    mart,
    key,
    copies
from duplicated
order by mart, key
