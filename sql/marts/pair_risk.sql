-- marts.pair_risk: rolling correlation and beta of each pair's small leg against its large leg.
-- grain: pair, date
-- grain matches: marts.relative_strength
--
-- Inputs are the simple daily returns over the pair's own sessions (small_ret_1d and
-- large_ret_1d of marts.relative_strength, i.e. staging.pair_returns, already computed there).
--   corr_63/252   Pearson correlation of small_ret and large_ret over the last N pair
--                 sessions.
--   beta_63/252   covar_samp(small_ret, large_ret) / var_samp(large_ret) over the same window:
--                 the slope of small on large (ddof cancels, so it equals the OLS slope).
-- Full windows only: NULL until N returns exist (from the pair's session N + 1 on); NULL too
-- if a window's variance is not positive (a constant series has no correlation).
--
-- How: window sums by prefix sums instead of four corr / covar_samp / var_samp aggregates over
-- ROWS frames (DuckDB evaluates each with a segment tree, the most expensive part of the old
-- model). With x = large_ret, y = small_ret (the first session's missing return taken as 0,
-- never inside a full window), S = running sums of x, y, x^2, y^2, xy; a window's sums are
-- S - lag(S, N), and
--   cov = Sxy - Sx Sy / N,  var_x = Sxx - Sx^2 / N,  var_y = Syy - Sy^2 / N  (all x (N - 1))
--   corr = cov / sqrt(var_x var_y),  beta = cov / var_x.
-- The running sums are the earlier months' sums (a per-pair monthly table ~20x smaller) plus a
-- ROWS frame from the month's first session, located by the month's bit mask of session days
-- (the same scheme as marts.risk, whose header explains it), so no running aggregate spans a
-- whole history. Accuracy: the sums of squares only grow; over ~6,300 sessions of ~1.5 %
-- daily moves Sxx is ~1.5 and its rounding error ~1e-14, against ~0.014 for a 63-session
-- window and ~0.06 for 252: relative errors ~1e-12 in each moment, so ~1e-12 in corr and beta,
-- well inside the 1e-9 of tests/transforms/test_indicators_vs_pandas.py (measured on the real
-- pairs: see docs/indicators.md). Daily means are ~50x smaller than sds, so the mean
-- corrections cancel nothing significant.
with pair_keys as (
    -- 1, 2, 3, ... in the order of the pair names (as staging.pair_returns' pair_id): the
    -- sort and join key below, cheaper than the name
    select
        pair,
        small,
        large,
        kind,
        row_number() over (order by pair) as pair_id
    from ops.pairs
),

daily as (
    select
        k.pair_id,
        r.date,
        coalesce(r.small_ret_1d, 0) as y,
        coalesce(r.large_ret_1d, 0) as x,
        year(r.date) * 12 + month(r.date) - 1 as month_key,
        day(r.date) as day_of_month
    from marts.relative_strength as r
    inner join pair_keys as k
        on r.pair = k.pair
),

months as (
    -- read from marts.relative_strength again rather than from daily: a CTE referenced twice
    -- is materialised, with a cardinality estimate that puts the 19 M rows on the build side
    -- of the join below (docs/benchmarks.md)
    select
        k.pair_id,
        year(r.date) * 12 + month(r.date) - 1 as month_key,
        count(*) as sessions,
        bit_or(cast(1 as bigint) << day(r.date)) as day_mask,
        sum(coalesce(r.large_ret_1d, 0)) as month_sx,
        sum(coalesce(r.small_ret_1d, 0)) as month_sy,
        sum(coalesce(r.large_ret_1d, 0) * coalesce(r.large_ret_1d, 0)) as month_sxx,
        sum(coalesce(r.small_ret_1d, 0) * coalesce(r.small_ret_1d, 0)) as month_syy,
        sum(coalesce(r.large_ret_1d, 0) * coalesce(r.small_ret_1d, 0)) as month_sxy
    from marts.relative_strength as r
    inner join pair_keys as k
        on r.pair = k.pair
    group by k.pair_id, month_key
),

before_month as (
    select
        pair_id,
        month_key,
        day_mask,
        coalesce(sum(sessions) over earlier, 0) as sessions_before,
        coalesce(sum(month_sx) over earlier, 0) as sx_before,
        coalesce(sum(month_sy) over earlier, 0) as sy_before,
        coalesce(sum(month_sxx) over earlier, 0) as sxx_before,
        coalesce(sum(month_syy) over earlier, 0) as syy_before,
        coalesce(sum(month_sxy) over earlier, 0) as sxy_before
    from months
    window earlier as (
        partition by pair_id order by month_key rows between unbounded preceding and 1 preceding
    )
),

positioned as (
    select
        d.pair_id,
        d.date,
        d.x,
        d.y,
        b.sx_before,
        b.sy_before,
        b.sxx_before,
        b.syy_before,
        b.sxy_before,
        cast(bit_count(b.day_mask & ((cast(2 as bigint) << d.day_of_month) - 1)) - 1 as integer)
            as earlier_in_month,
        cast(b.sessions_before + earlier_in_month + 1 as integer) as session
    from daily as d
    inner join before_month as b
        on d.pair_id = b.pair_id and d.month_key = b.month_key
),

running as (
    select
        pair_id,
        date,
        session,
        sx_before + sum(x) over month_so_far as sx,
        sy_before + sum(y) over month_so_far as sy,
        sxx_before + sum(x * x) over month_so_far as sxx,
        syy_before + sum(y * y) over month_so_far as syy,
        sxy_before + sum(x * y) over month_so_far as sxy
    from positioned
    window month_so_far as (
        partition by pair_id order by date rows between earlier_in_month preceding and current row
    )
),

windows as (
    select
        pair_id,
        date,
        session,
        sx - lag(sx, 63) over by_session as sx_63,
        sy - lag(sy, 63) over by_session as sy_63,
        sxx - lag(sxx, 63) over by_session as sxx_63,
        syy - lag(syy, 63) over by_session as syy_63,
        sxy - lag(sxy, 63) over by_session as sxy_63,
        sx - lag(sx, 252) over by_session as sx_252,
        sy - lag(sy, 252) over by_session as sy_252,
        sxx - lag(sxx, 252) over by_session as sxx_252,
        syy - lag(syy, 252) over by_session as syy_252,
        sxy - lag(sxy, 252) over by_session as sxy_252
    from running
    window by_session as (partition by pair_id order by date)
),

moments as (
    select
        pair_id,
        date,
        case when session > 63 then sxy_63 - sx_63 * sy_63 / 63 end as cov_63,
        case when session > 63 then sxx_63 - sx_63 * sx_63 / 63 end as var_x_63,
        case when session > 63 then syy_63 - sy_63 * sy_63 / 63 end as var_y_63,
        case when session > 252 then sxy_252 - sx_252 * sy_252 / 252 end as cov_252,
        case when session > 252 then sxx_252 - sx_252 * sx_252 / 252 end as var_x_252,
        case when session > 252 then syy_252 - sy_252 * sy_252 / 252 end as var_y_252
    from windows
),

labelled as (
    select
        p.pair,
        p.small,
        p.large,
        p.kind,
        m.date,
        case
            when m.var_x_63 > 0 and m.var_y_63 > 0
                then m.cov_63 / sqrt(m.var_x_63 * m.var_y_63)
        end as corr_63,
        case
            when m.var_x_252 > 0 and m.var_y_252 > 0
                then m.cov_252 / sqrt(m.var_x_252 * m.var_y_252)
        end as corr_252,
        case when m.var_x_63 > 0 then m.cov_63 / m.var_x_63 end as beta_63,
        case when m.var_x_252 > 0 then m.cov_252 / m.var_x_252 end as beta_252
    from moments as m
    left join pair_keys as p
        on m.pair_id = p.pair_id
)

select
    pair,
    small,
    large,
    kind,
    date,
    corr_63,
    corr_252,
    beta_63,
    beta_252
from labelled
