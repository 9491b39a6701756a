-- What the price marts were last built from, so the next build can tell what changed
-- (transforms/incremental.py).
--
-- One row per symbol and month of staging.prices as of the last kept build: its session count
-- and the sum of hash(date, value) over those sessions. A month whose count or checksum
-- differs now (a new session, a late correction, a re-base, a backfill, a deleted row) has
-- changed since the marts were built; a month the same has not (short of a 64-bit collision).
-- Replaced inside every kept build's transaction, so it always describes the marts on disk.
create table if not exists ops.price_fingerprints (
    symbol varchar not null,
    month_key integer not null,       -- year * 12 + month - 1
    sessions bigint not null,
    checksum hugeint not null
);

-- The rest of what the price marts depend on, as of the last kept build: the hash of the
-- price models' SQL text and of the configured pairs. Either differing forces a full build.
create table if not exists ops.price_build_state (
    key varchar primary key,          -- models_sha256 | pairs_sha256
    value varchar not null,
    built_at timestamptz not null default now()
);
