-- The migration ledger, before any migration runs: it cannot be a migration itself.
create schema if not exists ops;
create table if not exists ops.schema_migrations (
    version integer primary key,
    name varchar not null,
    checksum varchar not null,
    applied_at timestamptz not null default now()
);
