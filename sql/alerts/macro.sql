-- alerts/macro: candidate rows of the macro rules on marts.macro_daily (one row per session,
-- each value the last one public on that session). The subject is the economy, 'US'.
-- Units as in the mart: spreads and their changes in basis points, claims_4wk_vs_low_pct in
-- percent, Fed funds and the curve in percentage points.
--
-- Parameters (named; alerts/queries.py binds them): $subject (the subject the rule watches,
-- or * for every subject of the family), $indicator (the column to watch, validated in
-- alerts/rules.py), $start and $end (the sessions to return, inclusive).
-- Returns (subject, date, value); sql/alerts/crossings.sql turns them into breached/cleared.
with series as (
    select
        'US' as subject,
        date,
        case $indicator
            when 'hy_spread_bp' then hy_spread_bp
            when 'hy_spread_chg_1m_bp' then hy_spread_chg_1m_bp
            when 'hy_spread_chg_3m_bp' then hy_spread_chg_3m_bp
            when 'ig_spread_bp' then ig_spread_bp
            when 'claims_4wk_vs_low_pct' then claims_4wk_vs_low_pct
            when 'curve_10y2y' then curve_10y2y
            when 'fed_funds_chg_3m' then fed_funds_chg_3m
            when 'fed_funds_chg_6m' then fed_funds_chg_6m
            when 'fed_cuts_12m' then cast(fed_cuts_12m as double)
            when 'nfci' then nfci
            when 'vix' then vix
        end as value
    from marts.macro_daily
    where $subject in ('*', 'US') and date between $start and $end
)

select
    subject,
    date,
    value
from series
