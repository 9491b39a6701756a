-- parameters: start_date
--
-- marts.cumulative_return(start_date): a table macro, the cumulative return of every symbol
-- from start_date to each later session, e.g.
--     select * from marts.cumulative_return(date '2025-01-01') where symbol = 'IWM'
--
-- The base is the symbol's last session on or before start_date (base_date): a start date on
-- a weekend or holiday uses the close before it, as a buy at that close would. The return is
-- the ratio of the total-return index, tr_index(date) / tr_index(base_date) - 1, so for funds
-- it includes reinvested dividends. Symbols with no session on or before start_date are left
-- out (there is nothing to compound from).
with bases as (
    select
        symbol,
        max(date) as base_date,
        max_by(tr_index, date) as base_index
    from marts.returns
    where date <= start_date
    group by symbol
),

growth as (
    select
        r.symbol,
        b.base_date,
        r.date,
        r.tr_index / b.base_index - 1 as cumulative_return
    from marts.returns as r
    inner join bases as b
        on r.symbol = b.symbol and r.date >= b.base_date
)

select
    symbol,
    base_date,
    date,
    cumulative_return
from growth
