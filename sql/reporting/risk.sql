-- reporting/risk: rolling volatility and drawdown per symbol for the charted sessions.
-- Parameters: $1 start, $2 end (inclusive dates).
with window_rows as (
    select
        symbol,
        date,
        vol_21,
        vol_63,
        drawdown,
        max_drawdown
    from marts.risk
    where date between $1 and $2
)

select *
from window_rows
order by symbol, date
