-- alerts/deal_flow: candidate rows of the deal-flow rules on marts.deal_flow_daily, per filing
-- category (subject: mna, ipo_pipeline, ipo_priced, ...): the 30-session filing count against
-- its trailing 252-session average (filings_30_ratio, 1 = normal) or as a z-score. NULL on
-- sessions whose EDGAR index was not read, so a gap never looks like a collapse.
--
-- Parameters (named; alerts/queries.py binds them): $subject (the subject the rule watches,
-- or * for every subject of the family), $indicator (the column to watch, validated in
-- alerts/rules.py), $start and $end (the sessions to return, inclusive).
-- Returns (subject, date, value); sql/alerts/crossings.sql turns them into breached/cleared.
with series as (
    select
        category as subject,
        date,
        case $indicator
            when 'filings_30_ratio' then filings_30_ratio
            when 'filings_30_z' then filings_30_z
            when 'filings_30' then cast(filings_30 as double)
        end as value
    from marts.deal_flow_daily
    where ($subject = '*' or category = $subject) and date between $start and $end
)

select
    subject,
    date,
    value
from series
