-- A run ends: $1 finished_at, $2 status, $3 message, $4 fetched_rows, $5 loaded_rows,
-- $6 quarantined_rows, $7 built_models, $8 details (JSON), for run $9.
update ops.runs
set
    finished_at = $1,
    status = $2,
    message = $3,
    fetched_rows = $4,
    loaded_rows = $5,
    quarantined_rows = $6,
    built_models = $7,
    details = $8
where run_id = $9
