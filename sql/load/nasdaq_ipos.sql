-- Upsert one batch of IPO deals (registered as nasdaq_batch); parameters: fetched_at, run_id.
-- Status never moves back (a re-read of an older month lists a priced deal as filed) and dates
-- already known are kept when a newer listing omits them.
insert into raw.nasdaq_ipos (
    deal_id, status, status_rank, ticker, company_name, exchange, price_text, price_low,
    price_high, shares, offer_amount, filed_date, expected_date, priced_date, withdrawn_date,
    calendar_month, source, first_fetched_at, fetched_at, run_id
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
    cast(filed_date as date),
    cast(expected_date as date),
    cast(priced_date as date),
    cast(withdrawn_date as date),
    calendar_month,
    source,
    $1::timestamptz,
    $1::timestamptz,
    $2
from nasdaq_batch
on conflict (deal_id) do update set
    status = case
        when excluded.status_rank >= raw.nasdaq_ipos.status_rank
            then excluded.status
        else raw.nasdaq_ipos.status
    end,
    status_rank = greatest(excluded.status_rank, raw.nasdaq_ipos.status_rank),
    ticker = coalesce(excluded.ticker, raw.nasdaq_ipos.ticker),
    company_name = excluded.company_name,
    exchange = coalesce(excluded.exchange, raw.nasdaq_ipos.exchange),
    price_text = case
        when excluded.status_rank >= raw.nasdaq_ipos.status_rank
            then coalesce(excluded.price_text, raw.nasdaq_ipos.price_text)
        else raw.nasdaq_ipos.price_text
    end,
    price_low = case
        when excluded.status_rank >= raw.nasdaq_ipos.status_rank
            then coalesce(excluded.price_low, raw.nasdaq_ipos.price_low)
        else raw.nasdaq_ipos.price_low
    end,
    price_high = case
        when excluded.status_rank >= raw.nasdaq_ipos.status_rank
            then coalesce(excluded.price_high, raw.nasdaq_ipos.price_high)
        else raw.nasdaq_ipos.price_high
    end,
    shares = case
        when excluded.status_rank >= raw.nasdaq_ipos.status_rank
            then coalesce(excluded.shares, raw.nasdaq_ipos.shares)
        else raw.nasdaq_ipos.shares
    end,
    offer_amount = case
        when excluded.status_rank >= raw.nasdaq_ipos.status_rank
            then coalesce(excluded.offer_amount, raw.nasdaq_ipos.offer_amount)
        else raw.nasdaq_ipos.offer_amount
    end,
    filed_date = coalesce(excluded.filed_date, raw.nasdaq_ipos.filed_date),
    expected_date = coalesce(excluded.expected_date, raw.nasdaq_ipos.expected_date),
    priced_date = coalesce(excluded.priced_date, raw.nasdaq_ipos.priced_date),
    withdrawn_date = coalesce(excluded.withdrawn_date, raw.nasdaq_ipos.withdrawn_date),
    calendar_month = greatest(excluded.calendar_month, raw.nasdaq_ipos.calendar_month),
    source = excluded.source,
    fetched_at = excluded.fetched_at,
    run_id = excluded.run_id
