-- A run starts: $1 run_id, $2 flow, $3 as_of, $4 started_at. A retried run id starts afresh.
insert into ops.runs (run_id, flow, as_of, started_at, status)
values ($1, $2, $3, $4, 'running')
on conflict (run_id) do update
    set
        started_at = excluded.started_at,
        status = 'running',
        finished_at = null,
        message = null
