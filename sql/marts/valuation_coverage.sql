-- Why members have no usable earnings: per fund, on its latest snapshot and latest session,
-- the members and weight behind each status (what `rotation status` shows under coverage).
-- grain: fund, status
--
-- status: usable (in the figures) | no CIK (ticker not in the SEC table) | no filings (no
-- companyfacts loaded, or none filed by then) | withheld: <class> (marts.earnings_ttm's
-- eps_withheld_reason, classed: IFRS filer, not in USD, share basis unclear, fewer than four
-- quarters) | stale (last quarter older than the fund_valuation limit) | no price.
-- The usable rule is marts.fund_valuation's; reason is one example of the class.
with latest as (
    select
        fund,
        max(session) as session
    from marts.fund_valuation
    group by fund
),

members as (
    select
        l.fund,
        l.session,
        v.holdings_as_of,
        m.ticker,
        m.weight,
        m.price,
        t.cik
    from latest as l
    inner join marts.fund_valuation as v on l.fund = v.fund and l.session = v.session
    inner join staging.holdings_members as m
        on v.fund = m.fund and v.holdings_as_of = m.as_of
    left join raw.sec_company_tickers as t on m.ticker = t.ticker
),

with_earnings as (
    select
        m.*,
        e.eps_ttm,
        e.eps_end,
        e.annual_only,
        e.eps_withheld_reason,
        e.cik is not null as has_filings
    from members as m
    asof left join marts.earnings_ttm as e
        on
            m.cik = e.cik
            and m.session >= e.known_from
),

classed as (
    select
        fund,
        session,
        holdings_as_of,
        weight,
        eps_withheld_reason as reason,
        case
            when cik is null then 'no CIK'
            when not has_filings then 'no filings'
            when eps_ttm is null and eps_withheld_reason like 'IFRS filer%'
                then 'withheld: IFRS filer'
            when eps_withheld_reason like '%, not USD' then 'withheld: not in USD'
            when eps_withheld_reason like 'share basis unclear%'
                then 'withheld: share basis unclear'
            when eps_ttm is null then 'withheld: fewer than four quarters'
            when
                eps_end
                < session - (case when annual_only then interval 500 day else interval 200 day end)
                then 'stale'
            when not coalesce(price > 0, false) then 'no price'
            else 'usable'
        end as status
    from with_earnings
)

select
    fund,
    session,
    holdings_as_of,
    status,
    count(*) as members,
    sum(weight) as weight,
    min(reason) as reason
from classed
group by fund, session, holdings_as_of, status
