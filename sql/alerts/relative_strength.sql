-- alerts/relative_strength: candidate rows of the rules on marts.relative_strength (per pair).
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
