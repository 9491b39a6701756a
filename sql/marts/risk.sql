-- marts.risk: rolling volatility and drawdown of each symbol.
-- grain: symbol, date
-- grain matches: staging.prices
--
--   vol_21/63/252  sample standard deviation (ddof = 1) of the simple daily returns over the
--                  last N sessions, annualised with sqrt(252). Full windows only: NULL until N
--                  returns exist (from the symbol's session N + 1 on).
--   drawdown       value / running peak of value (all sessions so far, this one included) - 1;
--                  0 at a new high, negative below it.
--   max_drawdown   running minimum of drawdown: the deepest fall from a peak so far.
--
-- How (two sorts of the rows; running aggregates over whole histories are avoided because
-- DuckDB evaluates each one with a segment tree, ~4x the cost of a sort): ret_1d comes from
-- marts.returns. Each symbol's months are summarised (sessions, a bit mask of the days with a
-- session, the month's high, sum of returns, sum of squared returns) and accumulated over the
-- earlier months; a row's session number is the sessions before its month plus the mask's
-- bits up to its day, and its position in the month bounds a ROWS frame that starts at the
-- month's first session. So a running figure = the earlier months' figure combined with an
-- aggregate over at most 23 rows:
--   peak         greatest(high before the month, max over the month so far)
--   max_drawdown least(lowest drawdown before the month, min over the month so far), from the
--                drawdowns of the first pass summarised the same way
--   S1, S2       prefix sums of ret_1d and ret_1d^2 (the first session's missing return is 0)
-- The N-session window sums are S - lag(S, N), and
--   var = (S2_w - S1_w^2 / N) / (N - 1), clamped at 0 (a rounding below 0 is not a variance).
-- Why the prefix sums are accurate enough: S2 is a sum of squares, so it only grows, and its
-- rounding error is about (number of additions) * 2^-53 * S2, with ~30 additions on each row's
-- path (the within-month frame plus ~400 month sums, summed by a segment tree in log steps).
-- For a 25-year equity history S2 is ~1.5 (6,300 sessions x sd 1.5 %), its error ~1e-14, while
-- a 21-session S2_w is ~5e-3; ^VIX-like series (S2 ~ 50) give ~1e-12 against ~0.1. The error
-- of var is then ~1e-12 relative, of vol ~5e-13 relative (sd = sqrt(var) halves it), far
-- below the 1e-9 the real-data test checks (tests/transforms/test_indicators_vs_pandas.py).
-- The S1_w^2 / N term removes the mean; daily means are ~50x smaller than daily sds, so the
-- subtraction cancels ~1/2500 of S2_w and loses no significant digits. Only a window of
-- (nearly) constant prices, whose true variance is 0, would show the absolute error through
-- the square root (~1e-7 instead of 0); real price series do not have 21 identical closes.
with daily as (
    select
        symbol,
        date,
        value,
        coalesce(ret_1d, 0) as ret,
        year(date) * 12 + month(date) - 1 as month_key,
        day(date) as day_of_month
    from marts.returns
),

months as (
    select
        symbol,
        year(date) * 12 + month(date) - 1 as month_key,
        count(*) as sessions,
        bit_or(cast(1 as bigint) << day(date)) as day_mask,
        max(value) as month_high,
        sum(coalesce(ret_1d, 0)) as month_s1,
        sum(coalesce(ret_1d, 0) * coalesce(ret_1d, 0)) as month_s2
    from marts.returns
    group by symbol, month_key
),

before_month as (
    select
        symbol,
        month_key,
        day_mask,
        coalesce(sum(sessions) over earlier, 0) as sessions_before,
        max(month_high) over earlier as high_before,
        coalesce(sum(month_s1) over earlier, 0) as s1_before,
        coalesce(sum(month_s2) over earlier, 0) as s2_before
    from months
    window earlier as (
        partition by symbol order by month_key rows between unbounded preceding and 1 preceding
    )
),

positioned as (
    select
        d.symbol,
        d.date,
        d.month_key,
        d.value,
        d.ret,
        b.high_before,
        b.s1_before,
        b.s2_before,
        cast(bit_count(b.day_mask & ((cast(2 as bigint) << d.day_of_month) - 1)) - 1 as integer)
            as earlier_in_month,
        cast(b.sessions_before + earlier_in_month + 1 as integer) as session
    from daily as d
    inner join before_month as b
        on d.symbol = b.symbol and d.month_key = b.month_key
),

running as (
    select
        symbol,
        date,
        month_key,
        session,
        earlier_in_month,
        value,
        value / greatest(high_before, max(value) over month_so_far) - 1 as drawdown,
        s1_before + sum(ret) over month_so_far as s1,
        s2_before + sum(ret * ret) over month_so_far as s2
    from positioned
    window month_so_far as (
        partition by symbol order by date rows between earlier_in_month preceding and current row
    )
),

month_lows as (
    select
        symbol,
        month_key,
        min(min(drawdown)) over (
            partition by symbol order by month_key
            rows between unbounded preceding and 1 preceding
        ) as low_before
    from running
    group by symbol, month_key
),

rolling as (
    select
        r.symbol,
        r.date,
        r.value,
        r.session,
        r.drawdown,
        least(m.low_before, min(r.drawdown) over month_so_far) as max_drawdown,
        r.s1 - lag(r.s1, 21) over by_session as s1_21,
        r.s2 - lag(r.s2, 21) over by_session as s2_21,
        r.s1 - lag(r.s1, 63) over by_session as s1_63,
        r.s2 - lag(r.s2, 63) over by_session as s2_63,
        r.s1 - lag(r.s1, 252) over by_session as s1_252,
        r.s2 - lag(r.s2, 252) over by_session as s2_252
    from running as r
    inner join month_lows as m
        on r.symbol = m.symbol and r.month_key = m.month_key
    window
        by_session as (partition by r.symbol order by r.date),
        month_so_far as (by_session rows between earlier_in_month preceding and current row)
),

with_vol as (
    select
        symbol,
        date,
        value,
        case
            when session > 21
                then sqrt(greatest(s2_21 - s1_21 * s1_21 / 21, 0) / 20) * sqrt(252)
        end as vol_21,
        case
            when session > 63
                then sqrt(greatest(s2_63 - s1_63 * s1_63 / 63, 0) / 62) * sqrt(252)
        end as vol_63,
        case
            when session > 252
                then sqrt(greatest(s2_252 - s1_252 * s1_252 / 252, 0) / 251) * sqrt(252)
        end as vol_252,
        drawdown,
        max_drawdown
    from rolling
)

select
    symbol,
    date,
    value,
    vol_21,
    vol_63,
    vol_252,
    drawdown,
    max_drawdown
from with_vol
