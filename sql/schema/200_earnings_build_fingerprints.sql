-- What marts.earnings_ttm was last built from, per company, so the next build recomputes only
-- the companies whose inputs changed (transforms/incremental_earnings.py).
--
-- One row per company (cik) as of the last kept build: the count and the sum of a hash of
-- its raw.xbrl_facts rows (every column but the fetch bookkeeping), and the count and sum of
-- a hash of the price vendor's split events of its tickers (raw.prices.splits through
-- raw.sec_company_tickers). A company whose counts or sums differ now (a new filing, a
-- restatement, a split, a ticker moved) has changed since the mart was built; one the same
-- has not (short of a 64-bit collision). Replaced inside every kept build's transaction.
create table if not exists ops.earnings_fingerprints (
    cik bigint not null,
    facts bigint not null,
    facts_checksum hugeint not null,
    splits bigint not null,
    splits_checksum hugeint not null
);

-- The rest of what marts.earnings_ttm depends on, as of the last kept build: the hash of the
-- model's SQL text and the DuckDB version (its hash() makes the checksums). Either differing
-- forces a full build.
create table if not exists ops.earnings_build_state (
    key varchar primary key,          -- model_sha256 | duckdb_version
    value varchar not null,
    built_at timestamptz not null default now()
);
