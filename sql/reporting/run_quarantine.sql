-- reporting/run_quarantine: what one run quarantined, by source and reason, with one example
-- key each, for the run's summary artifact. Parameter: $1 run_id.
with counted as (
    select
        source,
        reason,
        count(*) as quarantined_rows,
        min(natural_key) as example
    from ops.quarantine
    where run_id = $1
    group by source, reason
)

select
    source,
    reason,
    quarantined_rows,
    example
from counted
order by quarantined_rows desc, source asc, reason asc
