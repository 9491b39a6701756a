-- marts.risk: rolling volatility and drawdown of each symbol.
--
--   vol_21/63/252  sample standard deviation (stddev_samp, ddof = 1) of the simple daily
--                  returns over the last N sessions, annualised with sqrt(252). Full windows
--                  only: NULL until N returns exist (from the symbol's session N + 1 on).
--   drawdown       value / running peak of value (all sessions so far, this one included) - 1;
--                  0 at a new high, negative below it.
--   max_drawdown   running minimum of drawdown: the deepest fall from a peak so far.
with rolling as (
    select
        symbol,
        date,
        value,
        case
            when session > 21
                then stddev_samp(ret_1d) over (
                    by_session rows between 20 preceding and current row
                ) * sqrt(252)
        end as vol_21,
        case
            when session > 63
                then stddev_samp(ret_1d) over (
                    by_session rows between 62 preceding and current row
                ) * sqrt(252)
        end as vol_63,
        case
            when session > 252
                then stddev_samp(ret_1d) over (
                    by_session rows between 251 preceding and current row
                ) * sqrt(252)
        end as vol_252,
        value / max(value) over (by_session rows between unbounded preceding and current row)
        - 1 as drawdown
    from staging.daily_returns
    window by_session as (partition by symbol order by date)
),

with_max as (
    select
        symbol,
        date,
        value,
        vol_21,
        vol_63,
        vol_252,
        drawdown,
        min(drawdown) over (
            partition by symbol order by date rows between unbounded preceding and current row
        ) as max_drawdown
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
from with_max
