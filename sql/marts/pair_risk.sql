-- marts.pair_risk: rolling correlation and beta of each pair's small leg against its large leg.
--
-- Inputs are the simple daily returns over the pair's own sessions (staging.pair_returns).
--   corr_63/252   Pearson correlation of small_ret and large_ret over the last N pair
--                 sessions.
--   beta_63/252   covar_samp(small_ret, large_ret) / var_samp(large_ret) over the same window:
--                 the slope of small on large (ddof cancels, so it equals the OLS slope).
-- Full windows only: NULL until N returns exist (from the pair's session N + 1 on).
with rolling as (
    select
        pair,
        date,
        case
            when session > 63
                then corr(small_ret, large_ret) over (
                    by_session rows between 62 preceding and current row
                )
        end as corr_63,
        case
            when session > 252
                then corr(small_ret, large_ret) over (
                    by_session rows between 251 preceding and current row
                )
        end as corr_252,
        case
            when session > 63
                then covar_samp(small_ret, large_ret)
                    over (
                        by_session rows between 62 preceding and current row
                    )
                / var_samp(large_ret) over (
                    by_session rows between 62 preceding and current row
                )
        end as beta_63,
        case
            when session > 252
                then covar_samp(small_ret, large_ret)
                    over (
                        by_session rows between 251 preceding and current row
                    )
                / var_samp(large_ret) over (
                    by_session rows between 251 preceding and current row
                )
        end as beta_252
    from staging.pair_returns
    window by_session as (partition by pair order by date)
),

labelled as (
    -- the pair's legs are joined after the window pass: a narrow row sorts faster
    select
        r.pair,
        p.small,
        p.large,
        p.kind,
        r.date,
        r.corr_63,
        r.corr_252,
        r.beta_63,
        r.beta_252
    from rolling as r
    left join ops.pairs as p
        on r.pair = p.pair
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
