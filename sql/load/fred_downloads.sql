-- Record one row per series in fred_batch; parameters: fetched_at, run_id.
insert into raw.fred_downloads (
    series_id, fetched_at, run_id, source, observations, first_date, last_date
)
select
    series_id,
    $1::timestamptz,
    $2,
    any_value(source),
    count(*),
    min(cast(date as date)),
    max(cast(date as date))
from fred_batch
group by series_id
on conflict (series_id, fetched_at) do update set
    run_id = excluded.run_id,
    observations = excluded.observations,
    first_date = excluded.first_date,
    last_date = excluded.last_date
