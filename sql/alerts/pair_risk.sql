-- alerts/pair_risk: candidate rows of the rules on marts.pair_risk (per pair).
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
            when 'corr_63' then corr_63
            when 'corr_252' then corr_252
            when 'beta_63' then beta_63
            when 'beta_252' then beta_252
        end as value
    from marts.pair_risk
    where ($subject = '*' or pair = $subject) and date between $start and $end
)

select
    subject,
    date,
    value
from series
