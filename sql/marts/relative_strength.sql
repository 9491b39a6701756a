-- marts.relative_strength: how the small-cap leg of each pair fares against the large-cap leg.
-- grain: pair, date
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
-- How (one window pass over staging.pair_returns, which already sorted the rows once for the
-- returns; every figure below is a lag or a running value of that sort, no ROWS frame of
-- fixed width):
--   ratio_maN  = (ratio_sum - lag(ratio_sum, N)) / N, the window's sum as a difference of the
--                running sums that staging.pair_returns computes in its pass (the first N
--                sessions' lag is NULL, taken as 0). This replaces two avg() over ROWS frames
--                (a segment tree each). Accuracy: ratio_sum at session t is a sum of t ratios,
--                so its rounding error is at most ~k * 2^-53 * S_t, k the additions on its path
--                (~30 for DuckDB's running sums, k = t ~ 6,300 as a worst case), and the mean
--                of a window is off by that / N. Against the mean itself (~S_t / t for a ratio
--                that does not trend) the relative error is ~k * 1.1e-16 * t / N: ~4e-13 for
--                ma50 at 25 years with k = 30 (worst case k = t: ~1e-10); a ratio that fell
--                10x over the history (early ratios dominate S_t) scales that by 10: ~4e-12
--                typical, ~1e-9 only if every rounding went the same way. Measured on the real
--                pairs (IWM/SPY since 2000, ^RUT/^GSPC since 1987): 2.1e-13 for ma50, 5e-14
--                for ma200, against the 1e-9 of tests/transforms/test_indicators_vs_pandas.py.
--   streak     a run of one sign starts at the session whose sign differs from the previous
--                session's (previous_small_ret / previous_large_ret come from the same pass of
--                staging.pair_returns, bit-identical to the previous row's returns), so
--                streak = +(session - run start + 1) for +1, -(session - run start + 1) for -1,
--                0 on a tie; one running last_value instead of two, exact integers.
with pair_keys as (
    -- the same numbering as staging.pair_returns' pair_id (row order of the names)
    select
        pair,
        small,
        large,
        kind,
        row_number() over (order by pair) as pair_id
    from ops.pairs
),

signed as (
    select
        pair_id,
        date,
        session,
        small_value,
        large_value,
        small_ret as small_ret_1d,
        large_ret as large_ret_1d,
        ratio_sum,
        sign(small_ret - large_ret) as outperformance,
        sign(previous_small_ret - previous_large_ret) as previous_outperformance
    from staging.pair_returns
),

windows as (
    select
        pair_id,
        date,
        small_value,
        large_value,
        small_ret_1d,
        large_ret_1d,
        small_value / large_value as ratio,
        case
            when session >= 50
                then (ratio_sum - coalesce(lag(ratio_sum, 50) over by_session, 0)) / 50
        end as ratio_ma50,
        case
            when session >= 200
                then (ratio_sum - coalesce(lag(ratio_sum, 200) over by_session, 0)) / 200
        end as ratio_ma200,
        (small_value / lag(small_value, 20) over by_session - 1)
        - (large_value / lag(large_value, 20) over by_session - 1) as spread_20d,
        (small_value / lag(small_value, 60) over by_session - 1)
        - (large_value / lag(large_value, 60) over by_session - 1) as spread_60d,
        case outperformance
            when 0 then 0
            when 1
                then session + 1 - last_value(
                    case
                        when outperformance is distinct from previous_outperformance
                            then session
                    end ignore nulls
                ) over (by_session rows between unbounded preceding and current row)
            when -1
                then last_value(
                    case
                        when outperformance is distinct from previous_outperformance
                            then session
                    end ignore nulls
                ) over (by_session rows between unbounded preceding and current row)
                - session - 1
        end as streak
    from signed
    window by_session as (partition by pair_id order by date)
),

with_ytd as (
    select
        p.pair,
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
    left join pair_keys as p
        on w.pair_id = p.pair_id
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
