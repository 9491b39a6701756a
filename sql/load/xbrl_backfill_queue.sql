-- The companies a fundamentals backfill still has to fetch: members of every stored snapshot
-- of the funds ($1, a list) matched to a CIK by vendor ticker, never fetched yet (no row in
-- raw.xbrl_fetches), heaviest first. A member of an older snapshot that left the index is
-- included: its earnings belong to the history of the snapshots it was in.
with members as (
    select
        h.ticker,
        max(h.weight_pct) as weight_pct
    from raw.holdings as h
    where list_contains($1, h.fund) and h.is_equity and h.ticker is not null
    group by h.ticker
),

companies as (
    select
        t.cik,
        max(m.weight_pct) as weight_pct
    from members as m
    inner join raw.sec_company_tickers as t on m.ticker = t.ticker
    group by t.cik
)

select c.cik
from companies as c
left join raw.xbrl_fetches as f on c.cik = f.cik
where f.cik is null
order by c.weight_pct desc, c.cik asc
