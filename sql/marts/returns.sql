-- marts.returns: period and trailing returns of each symbol on each of its sessions.
-- grain: symbol, date
-- grain matches: staging.prices
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
--
-- How (one sort of the price rows, the rest on a per-month table ~20x smaller): each symbol's
-- months are summarised once (sessions, a bit mask of the days of the month that have a
-- session, the month's last close), made gap-free from the symbol's first month to its last,
-- and carried forward. From that table alone:
--   * a session's number is the sessions before its month plus the mask's bits up to its day;
--   * the mtd / qtd / ytd base is the last close before the month / the quarter's first month /
--     January (NULL before the symbol's first month);
--   * the trailing-N-month base is session number (sessions before month M - N) + (mask bits
--     of month M - N up to this day): the last session on or before that day, and a day the
--     month lacks (the 31st) counts all its sessions, which is the clamping rule above. It is
--     read with lag(value, session - base session), a per-row offset, in the one window pass
--     that also gives ret_1d. A base session 0, or a month M - N before the first, is NULL.
-- These replace four RANGE frames (a frame-boundary search per row and horizon) and three
-- joins of period bases: the values are the same stored closes, so the results are identical.
with daily as (
    select
        symbol,
        date,
        value,
        year(date) * 12 + month(date) - 1 as month_key,
        day(date) as day_of_month
    from staging.prices
),

months as (
    select
        symbol,
        year(date) * 12 + month(date) - 1 as month_key,
        count(*) as sessions,
        bit_or(cast(1 as bigint) << day(date)) as day_mask,
        max_by(value, date) as month_close,
        min_by(value, date) as month_open
    from staging.prices
    group by symbol, month_key
),

spans as (
    select
        symbol,
        min(month_key) as first_month,
        max(month_key) as last_month,
        min_by(month_open, month_key) as index_base
    from months
    group by symbol
),

calendar as (
    -- every month from the symbol's first to its last, so "N rows back" is "N months back"
    select
        symbol,
        index_base,
        unnest(range(first_month, last_month + 1)) as month_key
    from spans
),

dense as (
    select
        c.symbol,
        c.month_key,
        c.index_base,
        coalesce(m.sessions, 0) as sessions,
        coalesce(m.day_mask, 0) as day_mask,
        m.month_close
    from calendar as c
    left join months as m
        on c.symbol = m.symbol and c.month_key = m.month_key
),

carried as (
    select
        symbol,
        month_key,
        index_base,
        sessions,
        day_mask,
        cast(coalesce(
            sum(sessions) over (by_month rows between unbounded preceding and 1 preceding), 0
        ) as bigint) as sessions_before,
        last_value(month_close ignore nulls) over (
            by_month rows between unbounded preceding and 1 preceding
        ) as close_before
    from dense
    window by_month as (partition by symbol order by month_key)
),

month_bases as (
    select
        symbol,
        month_key,
        index_base,
        day_mask,
        sessions_before,
        close_before as mtd_base,
        first_value(close_before) over (
            partition by symbol, month_key // 3 order by month_key
        ) as qtd_base,
        first_value(close_before) over (
            partition by symbol, month_key // 12 order by month_key
        ) as ytd_base,
        lag(sessions_before, 1) over by_month as sessions_before_1m,
        lag(day_mask, 1) over by_month as day_mask_1m,
        lag(sessions_before, 3) over by_month as sessions_before_3m,
        lag(day_mask, 3) over by_month as day_mask_3m,
        lag(sessions_before, 6) over by_month as sessions_before_6m,
        lag(day_mask, 6) over by_month as day_mask_6m,
        lag(sessions_before, 12) over by_month as sessions_before_12m,
        lag(day_mask, 12) over by_month as day_mask_12m
    from carried
    window by_month as (partition by symbol order by month_key)
),

sessions as (
    select
        d.symbol,
        d.date,
        d.value,
        b.index_base,
        b.mtd_base,
        b.qtd_base,
        b.ytd_base,
        b.sessions_before + bit_count(b.day_mask & ((cast(2 as bigint) << d.day_of_month) - 1))
            as session,
        b.sessions_before_1m
        + bit_count(b.day_mask_1m & ((cast(2 as bigint) << d.day_of_month) - 1)) as base_1m,
        b.sessions_before_3m
        + bit_count(b.day_mask_3m & ((cast(2 as bigint) << d.day_of_month) - 1)) as base_3m,
        b.sessions_before_6m
        + bit_count(b.day_mask_6m & ((cast(2 as bigint) << d.day_of_month) - 1)) as base_6m,
        b.sessions_before_12m
        + bit_count(b.day_mask_12m & ((cast(2 as bigint) << d.day_of_month) - 1)) as base_12m
    from daily as d
    inner join month_bases as b
        on d.symbol = b.symbol and d.month_key = b.month_key
),

lookbacks as (
    select
        symbol,
        date,
        value,
        index_base,
        mtd_base,
        qtd_base,
        ytd_base,
        value / lag(value) over by_session - 1 as ret_1d,
        case
            when base_1m > 0 then lag(value, session - base_1m) over by_session
        end as value_1m,
        case
            when base_3m > 0 then lag(value, session - base_3m) over by_session
        end as value_3m,
        case
            when base_6m > 0 then lag(value, session - base_6m) over by_session
        end as value_6m,
        case
            when base_12m > 0 then lag(value, session - base_12m) over by_session
        end as value_12m
    from sessions
    window by_session as (partition by symbol order by date)
),

combined as (
    select
        symbol,
        date,
        value,
        ret_1d,
        value / mtd_base - 1 as mtd,
        value / qtd_base - 1 as qtd,
        value / ytd_base - 1 as ytd,
        value / value_1m - 1 as ret_1m,
        value / value_3m - 1 as ret_3m,
        value / value_6m - 1 as ret_6m,
        value / value_12m - 1 as ret_12m,
        value / index_base as tr_index
    from lookbacks
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
