-- Upsert the SEC ticker table (registered as ticker_batch); parameters: fetched_at, run_id.
insert into raw.sec_company_tickers (ticker, cik, title, source, fetched_at, run_id)
select
    ticker,
    cik,
    title,
    source,
    $1::timestamptz,
    $2
from ticker_batch
on conflict (ticker) do update
    set
        cik = excluded.cik,
        title = excluded.title,
        source = excluded.source,
        fetched_at = excluded.fetched_at,
        run_id = excluded.run_id
