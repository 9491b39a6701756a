-- reporting/jobless_claims: initial claims (4-week average) as of each charted session, its
-- 52-week low and how far above the low it is, from marts.macro_daily.
-- Parameters: $1 start, $2 end (inclusive dates).
with window_rows as (
    select
        date,
        claims_4wk,
        claims_4wk_low_52wk,
        claims_4wk_vs_low_pct,
        claims_date
    from marts.macro_daily
    where date between $1 and $2
)

select *
from window_rows
order by date
