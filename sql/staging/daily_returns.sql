-- staging.daily_returns: simple daily return of each symbol, with its session number.
--
-- Conventions (shared by every mart; marts.returns derives the same ret_1d and session from
-- staging.prices with a cheaper plan, and marts.risk reads ret_1d from marts.returns):
--   ret_1d  = value / previous_value - 1, simple (not log) return on adjusted closes, where
--             previous_value is the symbol's previous stored session; NULL on its first one.
--   session = 1, 2, 3, ... per symbol in date order. A rolling window of N returns is full
--             from session N + 1 on (session 1 has no return); marts test this instead of
--             count(*) over the window, which is the same thing for gap-free numbering.
with numbered as (
    select
        symbol,
        date,
        value,
        lag(value) over (partition by symbol order by date) as previous_value,
        row_number() over (partition by symbol order by date) as session
    from staging.prices
)

select
    symbol,
    date,
    value,
    previous_value,
    value / previous_value - 1 as ret_1d,
    session
from numbered
