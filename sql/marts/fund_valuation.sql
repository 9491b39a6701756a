-- Valuation and earnings breadth per fund and session, built from the fund's members and
-- their own filings (docs/fundamentals.md has the method and its limits).
-- grain: session, fund
--
-- Each session uses the fund's latest loaded holdings snapshot on or before it (weights and
-- member prices as of that snapshot; before the first snapshot, that one stands in on
-- month-end sessions, stand_in = true) and each member's trailing earnings as known on that
-- session (marts.earnings_ttm, point-in-time by filing date, on the share basis of that day).
-- A member's earnings are usable when its TTM EPS exists (not withheld: marts.valuation_coverage
-- counts why not), its last quarter ended at most 200 days before the session (500 for an
-- annual-only filer; a company that stopped filing drops out) and its snapshot price is
-- positive.
--
-- * pe: weighted harmonic mean, sum(w) / sum(w * E/P) over usable members, loss-makers
--   included (they lower the aggregate earnings yield); NULL when that sum is not positive.
-- * pe_ex_losses: the same over members with positive TTM EPS.
-- * loss_share_count / loss_share_weight: members with negative TTM EPS, by count and by
--   weight, among usable members.
-- * earnings_growth: aggregate year-on-year growth of trailing EPS at fixed prices,
--   sum(w * E/P) / sum(w * E_prev/P) - 1, over members with both; NULL when the previous sum
--   is not positive. median_earnings_growth: the median of E/E_prev - 1 over members with a
--   positive E_prev.
-- * coverage / growth_coverage: the share of the fund's member weight behind each figure.
-- A figure whose coverage is below ops.valuation_settings.coverage_floor ([xbrl]
-- coverage_floor) is withheld (NULL), never extrapolated; the raw coverage always shows.
with floor_setting as (
    select coverage_floor
    from ops.valuation_settings
    where id = 1
),

snapshots as (
    select distinct
        fund,
        as_of
    from staging.holdings_members
),

history_setting as (
    select history_start
    from ops.valuation_history
    where id = 1
),

first_snapshots as (
    select
        fund,
        min(as_of) as as_of
    from snapshots
    group by fund
),

-- Before a fund's first snapshot, that snapshot stands in for its membership (survivorship:
-- today's members, with their weights and prices, judged on the earnings they had then), on
-- the last session of each month from ops.valuation_history.history_start (in the
-- snapshot's own month, the last session before it): ~12 rows a year instead of ~252.
stand_in_sessions as (
    select
        f.fund,
        f.as_of,
        max(s.date) as session
    from staging.dashboard_sessions as s
    cross join history_setting as h
    inner join first_snapshots as f on s.date < f.as_of
    where s.date >= h.history_start
    group by f.fund, f.as_of, date_trunc('month', s.date)
),

fund_sessions as (
    select
        s.date as session,
        sn.fund,
        max(sn.as_of) as as_of
    from staging.dashboard_sessions as s
    inner join snapshots as sn on s.date >= sn.as_of
    group by s.date, sn.fund
    union all
    select
        session,
        fund,
        as_of
    from stand_in_sessions
),

members as (
    select
        fs.session,
        fs.fund,
        fs.as_of,
        m.ticker,
        m.weight,
        m.price,
        t.cik
    from fund_sessions as fs
    inner join staging.holdings_members as m on fs.fund = m.fund and fs.as_of = m.as_of
    left join raw.sec_company_tickers as t on m.ticker = t.ticker
),

with_earnings as (
    select
        m.session,
        m.fund,
        m.as_of,
        m.ticker,
        m.weight,
        e.eps_ttm,
        e.eps_ttm_prev,
        coalesce(
            e.eps_ttm is not null
            and m.price > 0
            -- an annual-only filer's year is up to ~16 months old before its next 20-F
            and e.eps_end
            >= m.session - (case when e.annual_only then interval 500 day else interval 200 day end),
            false
        ) as usable,
        e.eps_ttm / nullif(m.price, 0) as earnings_yield,
        e.eps_ttm_prev / nullif(m.price, 0) as earnings_yield_prev
    from members as m
    -- the company's latest version on or before the session: what was known that day
    asof left join marts.earnings_ttm as e
        on
            m.cik = e.cik
            and m.session >= e.known_from
),

aggregated as (
    select
        session,
        fund,
        as_of,
        count(*) as members,
        count(*) filter (where usable) as members_with_earnings,
        coalesce(sum(weight) filter (where usable), 0) as coverage,
        sum(weight) filter (where usable) as usable_weight,
        sum(weight * earnings_yield) filter (where usable) as weighted_yield,
        sum(weight) filter (where usable and eps_ttm > 0) as profitable_weight,
        sum(weight * earnings_yield) filter (where usable and eps_ttm > 0) as profitable_yield,
        count(*) filter (where usable and eps_ttm < 0) as loss_members,
        sum(weight) filter (where usable and eps_ttm < 0) as loss_weight,
        coalesce(sum(weight) filter (where usable and eps_ttm_prev is not null), 0)
            as growth_coverage,
        sum(weight * earnings_yield) filter (where usable and eps_ttm_prev is not null)
            as yield_now,
        sum(weight * earnings_yield_prev) filter (where usable and eps_ttm_prev is not null)
            as yield_prev,
        median(eps_ttm / eps_ttm_prev - 1) filter (where usable and eps_ttm_prev > 0)
            as median_growth
    from with_earnings
    group by session, fund, as_of
),

figures as (
    select
        a.session,
        a.fund,
        a.as_of,
        a.members,
        a.members_with_earnings,
        a.coverage,
        a.growth_coverage,
        a.coverage >= f.coverage_floor as covered,
        a.growth_coverage >= f.coverage_floor as growth_covered,
        case when a.weighted_yield > 0 then a.usable_weight / a.weighted_yield end as pe,
        case
            when a.profitable_yield > 0 then a.profitable_weight / a.profitable_yield
        end as pe_ex_losses,
        a.loss_members / nullif(a.members_with_earnings, 0) as loss_share_count,
        coalesce(a.loss_weight, 0) / nullif(a.usable_weight, 0) as loss_share_weight,
        case when a.yield_prev > 0 then a.yield_now / a.yield_prev - 1 end as earnings_growth,
        a.median_growth
    from aggregated as a
    cross join floor_setting as f
)

select
    session,
    fund,
    as_of as holdings_as_of,
    session < as_of as stand_in,
    members,
    members_with_earnings,
    coverage,
    growth_coverage,
    case when covered then pe end as pe,
    case when covered then pe_ex_losses end as pe_ex_losses,
    case when covered then loss_share_count end as loss_share_count,
    case when covered then loss_share_weight end as loss_share_weight,
    case when growth_covered then earnings_growth end as earnings_growth,
    case when growth_covered then median_growth end as median_earnings_growth
from figures
