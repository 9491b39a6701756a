-- The chunks of backfill scope $1 already done: a resumed backfill skips them.
select
    chunk_start,
    chunk_end
from ops.backfill_chunks
where scope = $1
