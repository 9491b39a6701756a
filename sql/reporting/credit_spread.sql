-- reporting/credit_spread: the high-yield spread as of each charted session (the last value
-- public on that session, from marts.macro_daily) and its 3-month change.
-- Parameters: $1 start, $2 end (inclusive dates).
with window_rows as (
    select
        date,
        hy_spread_bp,
        hy_spread_chg_3m_bp,
        hy_spread_date
    from marts.macro_daily
    where date between $1 and $2
)

select *
from window_rows
order by date
