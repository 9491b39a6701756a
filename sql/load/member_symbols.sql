-- Index members to price, with what is stored for each; parameters: the funds ([holdings]
-- funds) and the symbols priced anyway ([prices] symbols, left out here).
--
-- Members are the equity lines with a ticker of each fund's latest loaded snapshot,
-- de-duplicated across funds (a Russell 1000 member is also an S&P 500 one). sessions and
-- latest describe raw.prices: a member with less than the history it needs gets its history,
-- the others the trailing window.
with latest as (
    select
        fund,
        max(as_of) as as_of
    from raw.holdings
    where list_contains($1, fund)
    group by fund
),

members as (
    select distinct h.ticker as symbol
    from raw.holdings as h
    inner join latest as l on h.fund = l.fund and h.as_of = l.as_of
    where h.is_equity and h.ticker is not null and not list_contains($2, h.ticker)
),

stored as (
    select
        p.symbol,
        count(*) as sessions,
        max(p.date) as latest
    from raw.prices as p
    inner join members as m on p.symbol = m.symbol
    group by p.symbol
)

select
    m.symbol,
    coalesce(s.sessions, 0) as sessions,
    s.latest
from members as m
left join stored as s on m.symbol = s.symbol
order by m.symbol
