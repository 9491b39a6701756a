-- alerts/relative_strength: candidate rows of the rules on marts.relative_strength (per pair).
--
-- Parameters (named; alerts/queries.py binds them): $subject (the subject the rule watches,
-- or * for every subject of the family), $indicator (the column to watch, validated in
-- alerts/rules.py), $start and $end (the sessions to return, inclusive).
-- Returns (subject, date, value); sql/alerts/crossings.sql turns them into breached/cleared.
with series as (
    select
        pair as subject,
        date,
        case $indicator
            when 'ratio' then ratio
            when 'ratio_vs_ma50' then ratio_vs_ma50
            when 'ratio_vs_ma200' then ratio_vs_ma200
            when 'spread_20d' then spread_20d
            when 'spread_60d' then spread_60d
            when 'ytd_spread' then ytd_spread
            when 'streak' then cast(streak as double)
        end as value
    from marts.relative_strength
    where ($subject = '*' or pair = $subject) and date between $start and $end
)

select
    subject,
    date,
    value
from series
