-- alerts/returns: candidate rows of the rules on marts.returns (per symbol; value is the
-- adjusted close, i.e. the level of an index such as ^VIX).
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
            when 'value' then value
            when 'ret_1d' then ret_1d
            when 'mtd' then mtd
            when 'qtd' then qtd
            when 'ytd' then ytd
            when 'ret_1m' then ret_1m
            when 'ret_3m' then ret_3m
            when 'ret_6m' then ret_6m
            when 'ret_12m' then ret_12m
        end as value
    from marts.returns
    where ($subject = '*' or symbol = $subject) and date between $start and $end
)

select
    subject,
    date,
    value
from series
