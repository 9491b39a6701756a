-- A throttled EDGAR backfill used to record a quarter as loaded although its index was
-- never read (the SEC's 403 answered instead), so a resumed backfill skipped it for ever.
-- Forget every EDGAR backfill quarter without an index file read whole for exactly that
-- quarter: the next backfill reads it again. Loaded quarters keep their mark.
delete from ops.backfill_chunks as c
where
    c.scope like 'edgar@%'
    and not exists (
        select 1
        from raw.edgar_index_files as f
        where
            f.period_start = c.chunk_start
            and f.period_end = c.chunk_end
            and f.status in ('loaded', 'no_index')
    );
