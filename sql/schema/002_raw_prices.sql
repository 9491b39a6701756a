-- Daily prices as the vendor delivered them, one row per (symbol, session).
--
-- close is what the vendor called Close: split-adjusted but not dividend-adjusted when
-- adjustment = 'raw' (classic Yahoo CSV, yfinance auto_adjust=False), already adjusted when
-- adjustment = 'auto' (yfinance auto_adjust=True). adj_close_received is the vendor's adjusted
-- close exactly as received; adj_close is the same series re-based to the symbol's latest
-- adjustment basis (see ops.price_rebases), so the stored history never mixes bases.
create table if not exists raw.prices (
    symbol varchar not null,
    date date not null,
    open double,
    high double,
    low double,
    close double not null,
    adj_close double not null,
    adj_close_received double not null,
    volume double,
    dividends double not null default 0,
    splits double not null default 0,
    adjustment varchar not null,      -- raw | auto
    source varchar not null,          -- yahoo | replay:<folder>
    fetched_at timestamptz not null,
    run_id varchar not null,
    primary key (symbol, date)
);

-- Every re-basing of stored adjusted closes: when a newer batch says the adjusted history
-- moved (a dividend since the last fetch), older rows are multiplied by factor.
create table if not exists ops.price_rebases (
    run_id varchar not null,
    symbol varchar not null,
    factor double not null,
    rows_rebased bigint not null,
    overlap_rows bigint not null,
    overlap_ratio_spread double,      -- max/min - 1 of new/old over the overlap: a basis check
    side varchar not null,            -- 'before' or 'after' the batch's dates
    boundary_date date not null,      -- rows strictly before/after this date were re-based
    rebased_at timestamptz not null default now()
);

-- Sessions the calendar expected but the vendor did not deliver, per run.
create table if not exists ops.missing_sessions (
    run_id varchar not null,
    symbol varchar not null,
    date date not null,
    reported_at timestamptz not null default now()
);
