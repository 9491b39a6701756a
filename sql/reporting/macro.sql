-- reporting/macro: the high-yield spread and jobless claims as of each charted session (the
-- last value public on that session, from marts.macro_daily). Parameters: $1 start, $2 end.
with window_rows as (
    select
        date,
        hy_spread_bp,
        hy_spread_chg_3m_bp,
        hy_spread_date,
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
