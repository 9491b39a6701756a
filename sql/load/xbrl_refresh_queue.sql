-- Which companies' facts to fetch this run, most urgent first.
-- Parameters: $1 funds (list), $2 sweep size, $3 limit, $4 the run's day (null: today).
--
-- A company whose last fetch failed or was blocked (raw.xbrl_fetch_backoff) is left out until
-- its retry_after day, then comes first (urgency 1) whatever it filed.
--
-- Members of each fund's latest loaded snapshot, matched to a CIK by vendor ticker:
--   1. filed a periodic report (EDGAR index) on or after the day of their last fetch;
--   2. never fetched, heaviest first (the first load spreads over runs under the limit);
--   3. the sweep: the longest unrefreshed first, at most $2 (catches what the index missed).
with latest as (
    select
        fund,
        max(as_of) as as_of
    from raw.holdings_snapshots
    where list_contains($1, fund)
    group by fund
),

members as (
    select
        h.ticker,
        max(h.weight_pct) as weight_pct
    from raw.holdings as h
    inner join latest as l on h.fund = l.fund and h.as_of = l.as_of
    where h.is_equity and h.ticker is not null
    group by h.ticker
),

companies as (
    select
        t.cik,
        max(m.weight_pct) as weight_pct
    from members as m
    inner join raw.sec_company_tickers as t on m.ticker = t.ticker
    group by t.cik
),

periodic as (
    select
        cik,
        max(date_filed) as last_filed
    from raw.edgar_filings
    where form_type in ('10-K', '10-Q', '10-K/A', '10-Q/A', '10-KT', '10-QT', '20-F', '40-F')
    group by cik
),

ranked as (
    select
        c.cik,
        c.weight_pct,
        f.fetched_at,
        case
            when b.retry_after > coalesce($4::date, current_date) then 9
            when b.cik is not null then 1
            when f.cik is null then 2
            when p.last_filed >= cast(f.fetched_at as date) then 1
            else 3
        end as urgency
    from companies as c
    left join raw.xbrl_fetches as f on c.cik = f.cik
    left join periodic as p on c.cik = p.cik
    left join raw.xbrl_fetch_backoff as b on c.cik = b.cik
),

numbered as (
    select
        cik,
        weight_pct,
        fetched_at,
        urgency,
        row_number() over (partition by urgency order by fetched_at, cik) as position
    from ranked
)

select cik
from numbered
where urgency < 3 or (urgency = 3 and position <= $2)
order by
    urgency asc,
    case when urgency = 3 then position end asc nulls first,
    weight_pct desc,
    cik asc
limit $3
