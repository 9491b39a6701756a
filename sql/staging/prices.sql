-- staging.prices: one clean price per symbol and session, the input of every indicator.
--
-- value is adj_close: for funds the total-return series (dividends reinvested), already
-- re-based by the loader to the symbol's latest adjustment basis so it never mixes bases; for
-- price indices (^RUT, ^GSPC) adj_close equals close, as indices pay no dividends. Every
-- return and ratio in the marts is computed on value, never on close.
-- raw.prices has the primary key (symbol, date), so it already holds the latest fetch of each
-- session (the loader upserts). quality/ quarantines non-positive prices before loading; the
-- filter below only guards the maths (a log or a ratio of a non-positive price is undefined).
with source_prices as (
    select
        symbol,
        date,
        adj_close as value,
        close,
        volume,
        adjustment,
        source,
        fetched_at
    from raw.prices
    where adj_close > 0 and isfinite(adj_close)
)

select
    symbol,
    date,
    value,
    close,
    volume,
    adjustment,
    source,
    fetched_at
from source_prices
