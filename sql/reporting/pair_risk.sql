-- reporting/pair_risk: rolling correlation and beta per pair for the charted sessions.
-- Parameters: $1 start, $2 end (inclusive dates).
with window_rows as (
    select
        pair,
        date,
        corr_63,
        corr_252,
        beta_63
    from marts.pair_risk
    where date between $1 and $2
)

select *
from window_rows
order by pair, date
