-- Chunks of a backfill that loaded, so an interrupted backfill resumes where it stopped.
-- scope identifies what was loaded: the source and the symbol list.
create table if not exists ops.backfill_chunks (
    scope varchar not null,
    chunk_start date not null,
    chunk_end date not null,
    run_id varchar not null,
    loaded_at timestamptz not null default now(),
    primary key (scope, chunk_start, chunk_end)
);
