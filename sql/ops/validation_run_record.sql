-- One batch's validation record: $1 run_id, $2 source, $3 suite, $4 rows_in, $5 rows_passed,
-- $6 rows_quarantined, $7 batch_ok, $8 message, $9 results (JSON or null).
insert into ops.validation_runs (
    run_id, source, suite, rows_in, rows_passed, rows_quarantined, batch_ok, message, results
)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
