-- Per symbol and session: the trend facts breadth counts (sql/marts/breadth.sql).
-- grain: symbol, date
--
-- Computed for every priced symbol (index members, funds, indices), on value = adj_close
-- (staging.prices: the total-return series, one adjustment basis). Sessions are numbered per
-- symbol, and every rolling figure is NULL until its window is full (docs/indicators.md):
--
-- * ret_1d: value / previous value - 1 (simple return; NULL on the first session).
-- * ma_50 / ma_200: mean of value over the last 50 / 200 sessions, today included.
-- * new_high_252 / new_low_252: value is above / below every value of the 251 sessions
--   before it (a new closing high / low of the last 252 sessions, 52 weeks); equalling an
--   earlier extreme is not new, so a stock that does not move makes neither. On closing
--   values, not intraday highs and lows: one series for every member whatever its vendor
--   delivered.
-- * ret_20 / ret_60: value / value 20 / 60 sessions earlier - 1.
-- A symbol's sessions are its own rows: a suspended stock's window reaches further back in
-- time, as in marts.returns.
with numbered as (
    select
        symbol,
        date,
        value,
        row_number() over by_symbol as session,
        lag(value) over by_symbol as previous_value,
        lag(value, 20) over by_symbol as value_20,
        lag(value, 60) over by_symbol as value_60,
        avg(value) over (by_symbol rows between 49 preceding and current row) as avg_50,
        avg(value) over (by_symbol rows between 199 preceding and current row) as avg_200,
        max(value) over (by_symbol rows between 251 preceding and 1 preceding) as max_251,
        min(value) over (by_symbol rows between 251 preceding and 1 preceding) as min_251
    from staging.prices
    window by_symbol as (partition by symbol order by date)
)

select
    symbol,
    date,
    session,
    value,
    value / previous_value - 1 as ret_1d,
    case when session >= 50 then avg_50 end as ma_50,
    case when session >= 200 then avg_200 end as ma_200,
    case when session >= 252 then value > max_251 end as new_high_252,
    case when session >= 252 then value < min_251 end as new_low_252,
    value / value_20 - 1 as ret_20,
    value / value_60 - 1 as ret_60
from numbered
