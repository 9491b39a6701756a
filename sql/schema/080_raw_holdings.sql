-- Fund holdings snapshots (iShares "Detailed holdings" files): every line of every snapshot.
--
-- One row per line of the file as read, keyed by (fund, as_of, line): equities and also cash,
-- futures, collateral and money-market lines (is_equity false), so a snapshot can always be
-- checked against its file. Snapshots are kept, never overwritten by a later day: they are
-- the history of index membership and weights. ticker is the price vendor's form (BRK-B),
-- ticker_raw what the file said (BRKB); ticker is NULL for unlisted lines ('-').
create table if not exists raw.holdings (
    fund varchar not null,             -- IWM, IWB, IVV, ...
    as_of date not null,               -- the date the fund states (or the caller's date)
    line integer not null,             -- physical line of the file the row starts on
    ticker_raw varchar,
    ticker varchar,
    name varchar,
    sector varchar,
    asset_class varchar,               -- Equity, Cash, Futures, Money Market, ...
    security_type varchar,             -- 17-column layout only: EQUITY, SWAP, CASH, ...
    market_value double,
    weight_pct double,                 -- percent of the fund, as stated (Weight (%) / Market Weight)
    notional_value double,
    quantity double,
    price double,
    location varchar,
    exchange varchar,                  -- as received
    exchange_code varchar,             -- one name per venue across renames
    currency varchar,
    fx_rate double,
    is_equity boolean not null,
    file varchar not null,
    source varchar not null,           -- ishares | replay:<folder>
    fetched_at timestamptz not null,
    run_id varchar not null,
    primary key (fund, as_of, line)
);

-- One row per loaded snapshot: what the file held and what passed validation.
create table if not exists raw.holdings_snapshots (
    fund varchar not null,
    as_of date not null,
    file varchar not null,
    layout integer not null,           -- columns in the file: 12, 15 or 17
    as_of_from varchar not null,       -- preamble | caller
    shares_outstanding double,
    lines_read integer not null,
    lines_loaded integer not null,
    equity_lines integer not null,
    equity_weight_pct double not null, -- sum of loaded equity weights, percent
    source varchar not null,
    fetched_at timestamptz not null,
    run_id varchar not null,
    primary key (fund, as_of)
);
