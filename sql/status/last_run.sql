-- The latest run of any flow, whatever its outcome.
select
    run_id,
    flow,
    as_of,
    status,
    started_at,
    finished_at,
    message
from ops.runs
order by started_at desc
limit 1
