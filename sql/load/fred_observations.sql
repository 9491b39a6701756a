-- Append the observations of fred_batch that are new or revised; parameters: fetched_at, run_id.
insert into raw.fred_observations (series_id, date, value, source, fetched_at, run_id)
with latest as (
    select
        series_id,
        date,
        value
    from raw.fred_observations
    qualify row_number() over (partition by series_id, date order by fetched_at desc) = 1
),

batch as (
    select
        series_id,
        cast(date as date) as date,
        value,
        source
    from fred_batch
),

changes as (
    select
        batch.series_id,
        batch.date,
        batch.value,
        batch.source
    from batch
    left join latest
        on batch.series_id = latest.series_id and batch.date = latest.date
    where latest.series_id is null or latest.value is distinct from batch.value
)

select
    series_id,
    date,
    value,
    source,
    $1::timestamptz,
    $2
from changes
