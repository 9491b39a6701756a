-- marts.returns: period and trailing returns of each symbol on each of its sessions.
--
-- Conventions (see docs/indicators.md):
--   value      adjusted close (total return for funds, the close for price indices).
--   ret_1d     simple daily return, value / previous session's value - 1.
--   mtd/qtd/ytd  value against the last close of the previous month / quarter / year, i.e. the
--             last stored session strictly before the period starts; NULL in the symbol's
--             first month / quarter / year of history (no base to compare with).
--   ret_Nm     (N = 1, 3, 6, 12) value against the last close on or before the same calendar
--             day N months earlier (date - interval N month; a day that does not exist in the
--             earlier month clamps to its last day: 2024-03-31 looks back to 2024-02-29);
--             NULL when the symbol has no session that early.
--   tr_index   value / the symbol's first value: a total-return index starting at 1, so the
--             cumulative return between two dates d0 < d1 is tr_index(d1) / tr_index(d0) - 1
--             (marts.cumulative_return wraps that ratio).
with daily as (
    select
        symbol,
        date,
        value,
        ret_1d,
        cast(date_trunc('month', date) as date) as month_start,
        cast(date_trunc('quarter', date) as date) as quarter_start,
        year(date) as year
    from staging.daily_returns
),

month_bases as (
    select
        symbol,
        month_start,
        lag(max_by(value, date)) over (partition by symbol order by month_start) as base
    from daily
    group by symbol, month_start
),

quarter_bases as (
    select
        symbol,
        quarter_start,
        lag(max_by(value, date)) over (partition by symbol order by quarter_start) as base
    from daily
    group by symbol, quarter_start
),

year_bases as (
    select
        symbol,
        year,
        lag(max_by(value, date)) over (partition by symbol order by year) as base
    from daily
    group by symbol, year
),

lookbacks as (
    -- The trailing bases are RANGE frames over day_key = (year * 12 + month) * 32 + day, a
    -- calendar position where one month is 32 steps: the frame ending 32 * N preceding holds
    -- exactly the sessions on or before the same day N months earlier, and a day the earlier
    -- month lacks (the 31st) admits all of that month, which is the clamping above. Integer
    -- keys make DuckDB's frame search faster than `interval N month preceding` on dates.
    select
        symbol,
        date,
        value,
        ret_1d,
        month_start,
        quarter_start,
        year,
        value / first_value(value) over by_day as tr_index,
        last_value(value) over (
            by_day range between unbounded preceding and 32 preceding
        ) as base_1m,
        last_value(value) over (
            by_day range between unbounded preceding and 96 preceding
        ) as base_3m,
        last_value(value) over (
            by_day range between unbounded preceding and 192 preceding
        ) as base_6m,
        last_value(value) over (
            by_day range between unbounded preceding and 384 preceding
        ) as base_12m
    from daily
    window by_day as (partition by symbol order by (year * 12 + month(date)) * 32 + day(date))
),

combined as (
    select
        t.symbol,
        t.date,
        t.value,
        t.ret_1d,
        t.value / mb.base - 1 as mtd,
        t.value / qb.base - 1 as qtd,
        t.value / yb.base - 1 as ytd,
        t.value / t.base_1m - 1 as ret_1m,
        t.value / t.base_3m - 1 as ret_3m,
        t.value / t.base_6m - 1 as ret_6m,
        t.value / t.base_12m - 1 as ret_12m,
        t.tr_index
    from lookbacks as t
    inner join month_bases as mb
        on t.symbol = mb.symbol and t.month_start = mb.month_start
    inner join quarter_bases as qb
        on t.symbol = qb.symbol and t.quarter_start = qb.quarter_start
    inner join year_bases as yb
        on t.symbol = yb.symbol and t.year = yb.year
)

select
    symbol,
    date,
    value,
    ret_1d,
    mtd,
    qtd,
    ytd,
    ret_1m,
    ret_3m,
    ret_6m,
    ret_12m,
    tr_index
from combined
