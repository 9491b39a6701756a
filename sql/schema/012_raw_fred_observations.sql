-- FRED observations as a change log: what each download said, revisions included.
--
-- A download adds a row only for a date that is new or whose value differs from the latest
-- stored one, so the old value stays with its fetched_at. value NULL is FRED's "no value"
-- (an empty cell or '.'). The latest value per (series_id, date) is staging.macro_latest.
create table if not exists raw.fred_observations (
    series_id varchar not null,
    date date not null,
    value double,
    source varchar not null,           -- fred | replay:<folder>
    fetched_at timestamptz not null,
    run_id varchar not null,
    primary key (series_id, date, fetched_at)
);

-- One row per series download: together with the change log this says what every download
-- contained (an unchanged value was confirmed at this fetched_at).
create table if not exists raw.fred_downloads (
    series_id varchar not null,
    fetched_at timestamptz not null,
    run_id varchar not null,
    source varchar not null,
    observations bigint not null,
    first_date date,
    last_date date,
    primary key (series_id, fetched_at)
);
