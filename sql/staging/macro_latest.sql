-- The latest value FRED gave for each (series, observation date), and the day it became
-- public (observation date + the series' release lag from staging.fred_release_lags, one day
-- for unlisted series). Missing values ('.' or empty in FRED's file) are left out, so an
-- as-of join carries the last real value forward. Revised values are in raw.fred_observations.
with latest as (
    select
        series_id,
        date,
        value,
        fetched_at
    from raw.fred_observations
    qualify row_number() over (partition by series_id, date order by fetched_at desc) = 1
),

dated as (
    select
        latest.series_id,
        latest.date,
        latest.value,
        latest.date + coalesce(lags.lag_days, 1) as available_date,
        latest.fetched_at
    from latest
    left join staging.fred_release_lags as lags on latest.series_id = lags.series_id
    where latest.value is not null
)

select
    series_id,
    date,
    value,
    available_date,
    fetched_at
from dated
