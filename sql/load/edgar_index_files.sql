-- Record which index files a batch read (registered as edgar_index_batch); parameters: fetched_at, run_id.
insert into raw.edgar_index_files (
    index_file, period_start, period_end, status, rows, url, fetched_at, run_id
)
select
    index_file,
    cast(period_start as date),
    cast(period_end as date),
    status,
    rows,
    url,
    $1::timestamptz,
    $2
from edgar_index_batch
on conflict (index_file) do update set
    period_start = excluded.period_start,
    period_end = excluded.period_end,
    status = excluded.status,
    rows = excluded.rows,
    url = excluded.url,
    fetched_at = excluded.fetched_at,
    run_id = excluded.run_id
