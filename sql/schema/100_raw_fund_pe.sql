-- The funds' own P/E as their vendor states it (Yahoo quoteSummary,
-- topHoldings.equityHoldings.priceToEarnings), one row per fund and quote session: the
-- cross-check of the P/E built from the members (marts.fund_pe_cross_check).
--
-- reported_value is as received; pe is the multiple after reading a value below 1 as an
-- earnings yield (Yahoo flipped the field from a multiple to its reciprocal between 2021 and
-- 2025; reported_as says which reading was applied).
create table if not exists raw.fund_pe (
    fund varchar not null,             -- IWM, IWB, IVV, ...
    as_of date not null,               -- session of the quote (regularMarketTime, New York)
    reported_value double not null,
    pe double not null,
    reported_as varchar not null,      -- multiple | reciprocal
    file varchar not null,
    source varchar not null,           -- yahoo-quotesummary | replay:<folder>
    fetched_at timestamptz not null,
    run_id varchar not null,
    primary key (fund, as_of)
);

-- How far the vendor's P/E may sit from the built one before it is a data-quality incident
-- (synced from [valuation] pe_tolerance before each build; |vendor / built - 1|).
create table if not exists ops.fund_pe_settings (
    id integer primary key,
    tolerance double not null
);

insert into ops.fund_pe_settings (id, tolerance) values (1, 0.25)
on conflict do nothing;
