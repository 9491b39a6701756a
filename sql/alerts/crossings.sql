-- alerts/crossings: where each value of a rule's series stands against the rule, one query
-- for every family (the family files under sql/alerts/ only say what the series is).
--
-- Reads alert_series(subject, date, value, detail), the family query's rows (detail: one line
-- the event shows, null where the family has none), registered by
-- alerts/queries.py; missing and non-finite values are dropped here, once for every family. Parameters: $rule and $severity are echoed into every row; $direction is
-- above | below; $threshold the level; $rearm_at the hysteresis level the value must get back
-- to (<= for above, >= for below) to re-arm.
-- breached: the value is beyond the threshold on that session; cleared: it is back on the
-- armed side of the hysteresis band. alerts/state.py turns these rows into crossings.
with flagged as (
    select
        $rule as rule,
        subject,
        cast(date as date) as date,  -- the series arrives through pandas as a timestamp
        value,
        $threshold as threshold,
        case when $direction = 'above' then value > $threshold else value < $threshold end
            as breached,
        case when $direction = 'above' then value <= $rearm_at else value >= $rearm_at end
            as cleared,
        $severity as severity,
        detail
    from alert_series
    where value is not null and isfinite(value)  -- a gap in a series is not a crossing
)

select
    rule,
    subject,
    date,
    value,
    threshold,
    breached,
    cleared,
    severity,
    detail
from flagged
order by subject, date
