-- alerts/breadth: candidate rows of the breadth rules on marts.breadth_signals and
-- marts.breadth (per fund: IWM, IWB, IVV).
--
-- thrust and divergence are 1 on a session that shows the signal, 0 otherwise (their levels
-- are [breadth] settings, see sql/marts/breadth_signals.sql); a rule fires on them with a
-- threshold of 0.5. The shares and counts are there for rules on levels.
--
-- Parameters (named; alerts/queries.py binds them): $subject (the subject the rule watches,
-- or * for every subject of the family), $indicator (the column to watch, validated in
-- alerts/rules.py), $start and $end (the sessions to return, inclusive).
-- Returns (subject, date, value); sql/alerts/crossings.sql turns them into breached/cleared.
with series as (
    select
        b.fund as subject,
        b.session as date,
        case $indicator
            when 'thrust' then cast(s.thrust as double)
            when 'divergence' then cast(s.divergence as double)
            when 'above_ma50_share' then b.above_ma50_share
            when 'above_ma200_share' then b.above_ma200_share
            when 'net_new_highs' then cast(b.net_new_highs as double)
            when 'breadth_spread' then b.breadth_spread
        end as value
    from marts.breadth as b
    inner join marts.breadth_signals as s on b.fund = s.fund and b.session = s.session
    where ($subject = '*' or b.fund = $subject) and b.session between $start and $end
)

select
    subject,
    date,
    value
from series
