-- Runs still marked running whose process is gone (any run but $1, the one starting now):
-- one writer at a time, so they can never finish.
update ops.runs
set
    status = 'interrupted',
    finished_at = now(),
    message = coalesce(message, 'the process ended before the run finished')
where status = 'running' and run_id <> $1
returning run_id
