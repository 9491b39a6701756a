-- Upsert one batch of IPO deals (registered as nasdaq_batch); parameters: fetched_at, run_id.
-- Status never moves back (a re-read of an older month lists a priced deal as filed) and dates
-- already known are kept when a newer listing omits them. The merged row is worked out first
-- (merged), so the upsert rewrites a deal only when its merged values differ from the stored
-- ones: the statement's row count is the number of deals new or really changed, and a re-run
-- leaves fetched_at and run_id saying when a deal last changed.
insert into raw.nasdaq_ipos as t (
    deal_id, status, status_rank, ticker, company_name, exchange, price_text, price_low,
    price_high, shares, offer_amount, filed_date, expected_date, priced_date, withdrawn_date,
    calendar_month, source, first_fetched_at, fetched_at, run_id
)
with incoming as (
    select
        deal_id,
        status,
        status_rank,
        ticker,
        company_name,
        exchange,
        price_text,
        price_low,
        price_high,
        shares,
        offer_amount,
        source,
        calendar_month,
        cast(filed_date as date) as filed_date,
        cast(expected_date as date) as expected_date,
        cast(priced_date as date) as priced_date,
        cast(withdrawn_date as date) as withdrawn_date
    from nasdaq_batch
),

merged as (
    select
        b.deal_id,
        b.company_name,
        b.source,
        -- forward: the incoming listing wins unless the stored status is further along
        s.deal_id is null or b.status_rank >= s.status_rank as forward,
        case when forward then b.status else s.status end as status,
        greatest(b.status_rank, coalesce(s.status_rank, b.status_rank)) as status_rank,
        coalesce(b.ticker, s.ticker) as ticker,
        coalesce(b.exchange, s.exchange) as exchange,
        case when forward then coalesce(b.price_text, s.price_text) else s.price_text end
            as price_text,
        case when forward then coalesce(b.price_low, s.price_low) else s.price_low end
            as price_low,
        case when forward then coalesce(b.price_high, s.price_high) else s.price_high end
            as price_high,
        case when forward then coalesce(b.shares, s.shares) else s.shares end as shares,
        case
            when forward then coalesce(b.offer_amount, s.offer_amount) else s.offer_amount
        end as offer_amount,
        coalesce(b.filed_date, s.filed_date) as filed_date,
        coalesce(b.expected_date, s.expected_date) as expected_date,
        coalesce(b.priced_date, s.priced_date) as priced_date,
        coalesce(b.withdrawn_date, s.withdrawn_date) as withdrawn_date,
        greatest(b.calendar_month, coalesce(s.calendar_month, b.calendar_month))
            as calendar_month
    from incoming as b
    left join raw.nasdaq_ipos as s on b.deal_id = s.deal_id
)

select
    deal_id,
    status,
    status_rank,
    ticker,
    company_name,
    exchange,
    price_text,
    price_low,
    price_high,
    shares,
    offer_amount,
    filed_date,
    expected_date,
    priced_date,
    withdrawn_date,
    calendar_month,
    source,
    $1::timestamptz,
    $1::timestamptz,
    $2
from merged
on conflict (deal_id) do update set
    status = excluded.status,
    status_rank = excluded.status_rank,
    ticker = excluded.ticker,
    company_name = excluded.company_name,
    exchange = excluded.exchange,
    price_text = excluded.price_text,
    price_low = excluded.price_low,
    price_high = excluded.price_high,
    shares = excluded.shares,
    offer_amount = excluded.offer_amount,
    filed_date = excluded.filed_date,
    expected_date = excluded.expected_date,
    priced_date = excluded.priced_date,
    withdrawn_date = excluded.withdrawn_date,
    calendar_month = excluded.calendar_month,
    source = excluded.source,
    fetched_at = excluded.fetched_at,
    run_id = excluded.run_id
where
(
    t.status, t.status_rank, t.ticker, t.company_name, t.exchange, t.price_text,
    t.price_low, t.price_high, t.shares, t.offer_amount, t.filed_date, t.expected_date,
    t.priced_date, t.withdrawn_date, t.calendar_month
) is distinct from (
    excluded.status, excluded.status_rank, excluded.ticker, excluded.company_name,
    excluded.exchange, excluded.price_text, excluded.price_low, excluded.price_high,
    excluded.shares, excluded.offer_amount, excluded.filed_date, excluded.expected_date,
    excluded.priced_date, excluded.withdrawn_date, excluded.calendar_month
)
