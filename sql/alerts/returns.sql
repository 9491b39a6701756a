-- alerts/returns: candidate rows of the rules on marts.returns (per symbol; value is the
-- adjusted close, i.e. the level of an index such as ^VIX).
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
