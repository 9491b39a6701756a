-- alerts/risk: candidate rows of the rules on marts.risk (per symbol).
--
-- Parameters (named; alerts/queries.py binds them): $subject (the subject the rule watches,
-- or * for every subject of the family), $indicator (the column to watch, validated in
-- alerts/rules.py), $start and $end (the sessions to return, inclusive).
-- Returns (subject, date, value); sql/alerts/crossings.sql turns them into breached/cleared.
with series as (
    select
        symbol as subject,
        date,
        case $indicator
            when 'vol_21' then vol_21
            when 'vol_63' then vol_63
            when 'vol_252' then vol_252
            when 'drawdown' then drawdown
            when 'max_drawdown' then max_drawdown
        end as value
    from marts.risk
    where ($subject = '*' or symbol = $subject) and date between $start and $end
)

select
    subject,
    date,
    value
from series
