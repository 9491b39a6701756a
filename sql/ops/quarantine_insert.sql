-- One quarantined row: $1 run_id, $2 source, $3 natural_key, $4 reason, $5 raw_values (JSON).
insert into ops.quarantine (run_id, source, natural_key, reason, raw_values)
values ($1, $2, $3, $4, $5)
