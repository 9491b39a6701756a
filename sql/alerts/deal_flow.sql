-- alerts/deal_flow: candidate rows of the deal-flow rules on marts.deal_flow_daily, per filing
-- category (subject: mna, ipo_pipeline, ipo_priced, ...): the 30-session filing count against
-- its trailing 252-session average (filings_30_ratio, 1 = normal) or as a z-score. NULL on
-- sessions whose EDGAR index was not read, so a gap never looks like a collapse.
--
-- Parameters (named, shared by every file in sql/alerts/; alerts/queries.py binds them):
--   $rule, $severity   echoed into every row, so a row says which rule and how severe;
--   $subject           the subject the rule watches, or * for every subject of the family;
--   $indicator         the column to watch (validated in alerts/rules.py against FAMILIES);
--   $direction         above | below; $threshold the level; $rearm_at the hysteresis level
--                      the value must get back to (<= for above, >= for below) to re-arm;
--   $start, $end       the sessions to return (inclusive).
-- breached: the value is beyond the threshold on that session; cleared: it is back on the
-- armed side of the hysteresis band. alerts/state.py turns these rows into crossings.
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
),

flagged as (
    select
        $rule as rule,
        subject,
        date,
        value,
        $threshold as threshold,
        case when $direction = 'above' then value > $threshold else value < $threshold end
            as breached,
        case when $direction = 'above' then value <= $rearm_at else value >= $rearm_at end
            as cleared,
        $severity as severity
    from series
    where value is not null and isfinite(value)
)

select
    rule,
    subject,
    date,
    value,
    threshold,
    breached,
    cleared,
    severity
from flagged
order by subject, date
