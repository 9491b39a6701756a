-- audits.unique_keys_symbol_marts: marts.returns and marts.risk hold exactly one row per price
-- session of staging.prices: no duplicated (symbol, date), no session without its price, no
-- priced session left out.
-- severity: blocking
--
-- These two marts are the largest (one row per symbol and session), so the check is done in
-- two steps to stay cheap on a large universe. First, per symbol, a fingerprint of each side:
-- the row count and the sum of hash(date) (exact, as hugeint). staging.prices has one row per
-- (symbol, date) (the primary key of raw.prices), so equal fingerprints mean the mart's dates
-- are that same set, each once: two different date multisets with equal counts and equal
-- hash sums would need a 64-bit hash collision. Second, only for the symbols whose
-- fingerprints differ, the exact comparison lists the offending sessions. A passing build pays
-- two streaming aggregates per mart and no join. Returns one row per offending session: the
-- mart, the symbol, the date, its rows in the mart and its rows in staging.prices.
with price_prints as (
    select
        symbol,
        count(*) as sessions,
        sum(cast(hash(date) as hugeint)) as print
    from staging.prices
    group by symbol
),

mart_prints as (
    select
        'marts.returns' as mart,
        symbol,
        count(*) as sessions,
        sum(cast(hash(date) as hugeint)) as print
    from marts.returns
    group by symbol
    union all
    select
        'marts.risk' as mart,
        symbol,
        count(*) as sessions,
        sum(cast(hash(date) as hugeint)) as print
    from marts.risk
    group by symbol
),

marts as (
    select mart
    from (values ('marts.returns'), ('marts.risk')) as t (mart)
),

-- a symbol differs when its fingerprint differs, or when it is on one side only
differing as (
    select
        coalesce(m.mart, mp.mart) as mart,
        coalesce(mp.symbol, pp.symbol) as symbol
    from marts as m
    cross join price_prints as pp
    full join mart_prints as mp on m.mart = mp.mart and pp.symbol = mp.symbol
    where
        mp.symbol is null
        or pp.symbol is null
        or mp.sessions <> pp.sessions
        or mp.print <> pp.print
),

mart_rows as (
    select
        'marts.returns' as mart,
        r.symbol,
        r.date,
        count(*) as rows_in_mart
    from marts.returns as r
    semi join differing as d on d.mart = 'marts.returns' and r.symbol = d.symbol
    group by r.symbol, r.date
    union all
    select
        'marts.risk' as mart,
        r.symbol,
        r.date,
        count(*) as rows_in_mart
    from marts.risk as r
    semi join differing as d on d.mart = 'marts.risk' and r.symbol = d.symbol
    group by r.symbol, r.date
),

price_rows as (
    select
        d.mart,
        p.symbol,
        p.date
    from staging.prices as p
    inner join differing as d on p.symbol = d.symbol
),

counted as (
    select
        coalesce(m.mart, p.mart) as mart,
        coalesce(m.symbol, p.symbol) as symbol,
        coalesce(m.date, p.date) as date,
        coalesce(m.rows_in_mart, 0) as mart_rows,
        case when p.date is null then 0 else 1 end as price_rows
    from mart_rows as m
    full join price_rows as p on m.mart = p.mart and m.symbol = p.symbol and m.date = p.date
)

select
    mart,
    symbol,
    date,
    mart_rows,
    price_rows
from counted
where mart_rows <> 1 or price_rows <> 1
order by mart, symbol, date
