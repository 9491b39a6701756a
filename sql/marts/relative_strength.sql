-- marts.relative_strength: how the small-cap leg of each pair fares against the large-cap leg.
--
-- One row per pair and session on which both legs have a value (staging.pair_returns).
--   ratio            small value / large value (adjusted closes: total return for funds).
--   ratio_ma50/200   mean of the ratio over the last 50 / 200 pair sessions, NULL until the
--                    window is full (full windows only).
--   ratio_vs_ma50/200  ratio / its moving average - 1: above 0 means the ratio is above it.
--   spread_20d/60d   small's N-session return minus large's, value / value N pair sessions
--                    earlier - 1; NULL until N earlier sessions exist.
--   ytd_spread       small's ytd minus large's ytd, each against its own previous year's last
--                    close (start_value of marts.calendar_year_returns, the base of ytd in
--                    marts.returns); NULL in a leg's first year of history.
--   streak           the current run of consecutive sessions of out-performance on the daily
--                    return (small_ret_1d vs large_ret_1d over the same pair session): +n after
--                    n sessions in a row of small beating large, -n after n sessions of
--                    under-performance. A tie (equal returns) is neither: streak 0, and it ends
--                    the run. NULL on the pair's first session (no return yet).
-- The streak is computed in the same window pass as the rest: a +1 session's run began just
-- after the last session whose sign was not +1 (the first session, with no return, always
-- qualifies), so streak = session - that session; likewise for -1.
with signed as (
    select
        pair,
        date,
        session,
        small_value,
        large_value,
        small_ret as small_ret_1d,
        large_ret as large_ret_1d,
        sign(small_ret - large_ret) as outperformance
    from staging.pair_returns
),

windows as (
    select
        pair,
        date,
        small_value,
        large_value,
        small_ret_1d,
        large_ret_1d,
        small_value / large_value as ratio,
        case
            when session >= 50
                then avg(small_value / large_value) over (
                    by_session rows between 49 preceding and current row
                )
        end as ratio_ma50,
        case
            when session >= 200
                then avg(small_value / large_value) over (
                    by_session rows between 199 preceding and current row
                )
        end as ratio_ma200,
        (small_value / lag(small_value, 20) over by_session - 1)
        - (large_value / lag(large_value, 20) over by_session - 1) as spread_20d,
        (small_value / lag(small_value, 60) over by_session - 1)
        - (large_value / lag(large_value, 60) over by_session - 1) as spread_60d,
        case outperformance
            when 0 then 0
            when 1
                then session - last_value(
                    case when outperformance is distinct from 1 then session end ignore nulls
                ) over (by_session rows between unbounded preceding and current row)
            when -1
                then last_value(
                    case when outperformance is distinct from -1 then session end ignore nulls
                ) over (by_session rows between unbounded preceding and current row) - session
        end as streak
    from signed
    window by_session as (partition by pair order by date)
),

with_ytd as (
    select
        w.pair,
        p.small,
        p.large,
        p.kind,
        w.date,
        w.small_value,
        w.large_value,
        w.small_ret_1d,
        w.large_ret_1d,
        w.ratio,
        w.ratio_ma50,
        w.ratio_ma200,
        w.ratio / w.ratio_ma50 - 1 as ratio_vs_ma50,
        w.ratio / w.ratio_ma200 - 1 as ratio_vs_ma200,
        w.spread_20d,
        w.spread_60d,
        (w.small_value / ys.start_value - 1) - (w.large_value / yl.start_value - 1) as ytd_spread,
        cast(w.streak as integer) as streak
    from windows as w
    -- left joins: each pair row has its pair and both legs' years, so they drop nothing, and
    -- they pin the join order (the optimizer could otherwise join the year tables together
    -- on year first)
    left join ops.pairs as p
        on w.pair = p.pair
    left join marts.calendar_year_returns as ys
        on p.small = ys.symbol and year(w.date) = ys.year
    left join marts.calendar_year_returns as yl
        on p.large = yl.symbol and year(w.date) = yl.year
)

select
    pair,
    small,
    large,
    kind,
    date,
    small_value,
    large_value,
    small_ret_1d,
    large_ret_1d,
    ratio,
    ratio_ma50,
    ratio_ma200,
    ratio_vs_ma50,
    ratio_vs_ma200,
    spread_20d,
    spread_60d,
    ytd_spread,
    streak
from with_ytd
