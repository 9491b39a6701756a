-- SEC ticker -> CIK table (company_tickers.json): how fund members find their filings.
create table if not exists raw.sec_company_tickers (
    ticker varchar primary key,        -- the SEC's form, class dash kept: BRK-B (as Yahoo)
    cik bigint not null,
    title varchar,
    source varchar not null,           -- sec-xbrl | replay:<folder>
    fetched_at timestamptz not null,
    run_id varchar not null
);

-- XBRL facts from companyfacts, one row per fact per filing that reported it.
--
-- Point-in-time: a fact is usable from its filed date, never before. The same period reported
-- again in a later filing (a comparative, or a restatement) is another row with its own
-- accession and filed date, so what was known on any day can be rebuilt. Instants (shares
-- outstanding) have period_start = period_end and is_instant true.
create table if not exists raw.xbrl_facts (
    cik bigint not null,
    metric varchar not null,           -- net_income | eps | revenue | shares_outstanding
    priority integer not null,         -- among the concepts of one metric, lower wins
    taxonomy varchar not null,         -- us-gaap | dei
    concept varchar not null,          -- NetIncomeLoss, EarningsPerShareDiluted, ...
    unit varchar not null,             -- USD | USD/shares | shares
    period_start date not null,
    period_end date not null,
    is_instant boolean not null,
    value double not null,
    accession varchar not null,
    fiscal_year integer,               -- fy/fp of the filing (not of the period)
    fiscal_period varchar,
    form varchar,                      -- 10-Q, 10-K, 10-K/A, 8-K, ...
    filed date not null,
    frame varchar,
    file varchar not null,
    source varchar not null,
    first_fetched_at timestamptz not null,
    fetched_at timestamptz not null,
    run_id varchar not null,
    primary key (cik, taxonomy, concept, unit, period_start, period_end, accession)
);

-- The last fetch of each company: what the refresh queue reads to decide who is due.
create table if not exists raw.xbrl_fetches (
    cik bigint primary key,
    status varchar not null,           -- loaded | no_xbrl (HTTP 404) | failed
    entity_name varchar,
    facts bigint not null,
    message varchar,
    fetched_at timestamptz not null,
    run_id varchar not null
);

-- The coverage floor of the valuation marts (synced from [xbrl] coverage_floor before each
-- build): a figure whose members with usable earnings weigh less than this is withheld.
create table if not exists ops.valuation_settings (
    id integer primary key,
    coverage_floor double not null
);

insert into ops.valuation_settings (id, coverage_floor) values (1, 0.6)
on conflict do nothing;
