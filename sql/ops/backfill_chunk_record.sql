-- One backfill chunk done ($1 scope, $2 chunk_start, $3 chunk_end, $4 run_id); a chunk done
-- twice keeps its first record.
insert into ops.backfill_chunks (scope, chunk_start, chunk_end, run_id)
values ($1, $2, $3, $4)
on conflict do nothing
