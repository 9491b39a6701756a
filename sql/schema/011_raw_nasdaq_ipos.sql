-- Deals of the Nasdaq IPO calendar, one row per deal_id through its whole life.
--
-- A deal listed as filed in one month and priced in a later one stays one row: status only
-- moves forward (filed < upcoming < withdrawn < priced), and a date seen once is kept even when
-- a later listing leaves it out. Money is in US dollars, as the calendar stated it.
create table if not exists raw.nasdaq_ipos (
    deal_id varchar primary key,       -- 1147940-110414
    status varchar not null,           -- filed | upcoming | withdrawn | priced
    status_rank integer not null,
    ticker varchar,
    company_name varchar not null,
    exchange varchar,
    price_text varchar,                -- as listed: "16.00-18.00"
    price_low double,
    price_high double,
    shares bigint,
    offer_amount double,               -- "$210,000,000" -> 210000000
    filed_date date,
    expected_date date,
    priced_date date,
    withdrawn_date date,
    calendar_month varchar not null,   -- YYYY-MM of the calendar that last listed the deal
    source varchar not null,           -- nasdaq | replay:<folder>
    first_fetched_at timestamptz not null,
    fetched_at timestamptz not null,
    run_id varchar not null
);
