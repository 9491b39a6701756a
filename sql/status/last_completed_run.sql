-- The completed run ($1, $2: the statuses that count as completed) for the latest session.
select
    as_of,
    finished_at,
    flow
from ops.runs
where status in ($1, $2)
order by as_of desc, finished_at desc
limit 1
