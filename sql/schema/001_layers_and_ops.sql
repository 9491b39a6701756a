-- Schemas are the layers of the pipeline; ops holds what the pipeline did.
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists marts;
create schema if not exists alerts;
create schema if not exists ops;

-- One row per pipeline run: what it fetched, loaded, quarantined and built.
create table if not exists ops.runs (
    run_id varchar primary key,
    flow varchar not null,
    as_of date,
    started_at timestamptz not null,
    finished_at timestamptz,
    status varchar not null,          -- running, completed, failed, skipped
    message varchar,
    fetched_rows bigint default 0,
    loaded_rows bigint default 0,
    quarantined_rows bigint default 0,
    built_models integer default 0,
    details json
);

-- Rows that failed validation, with the reason and the values as received.
create table if not exists ops.quarantine (
    run_id varchar not null,
    source varchar not null,          -- prices, edgar, nasdaq, fred
    natural_key varchar not null,     -- e.g. 'IWM|2025-09-26'
    reason varchar not null,
    raw_values json not null,
    quarantined_at timestamptz not null default now()
);

-- One row per validated batch (Great Expectations suite run).
create table if not exists ops.validation_runs (
    run_id varchar not null,
    source varchar not null,
    suite varchar not null,
    rows_in bigint not null,
    rows_passed bigint not null,
    rows_quarantined bigint not null,
    batch_ok boolean not null,
    message varchar,
    results json,
    validated_at timestamptz not null default now()
);
