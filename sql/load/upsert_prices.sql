-- Idempotent upsert of a validated batch (registered as `incoming`) on (symbol, date).
-- adj_close is on the batch's latest basis (the loader corrects a batch that mixed bases);
-- adj_close_received is what the vendor sent.
-- A row is rewritten only when a value changed, so re-running a day changes nothing and
-- fetched_at/run_id say when the stored value was last delivered differently.
insert into raw.prices as p (
    symbol, date, open, high, low, close, adj_close, adj_close_received, volume,
    dividends, splits, adjustment, source, fetched_at, run_id
)
select
    symbol,
    date,
    open,
    high,
    low,
    close,
    adj_close,
    adj_close_received,
    volume,
    dividends,
    splits,
    adjustment,
    $1 as source,
    $2 as fetched_at,
    $3 as run_id
from incoming
on conflict (symbol, date) do update set
    open = excluded.open,
    high = excluded.high,
    low = excluded.low,
    close = excluded.close,
    adj_close = excluded.adj_close,
    adj_close_received = excluded.adj_close_received,
    volume = excluded.volume,
    dividends = excluded.dividends,
    splits = excluded.splits,
    adjustment = excluded.adjustment,
    source = excluded.source,
    fetched_at = excluded.fetched_at,
    run_id = excluded.run_id
where
p.open is distinct from excluded.open
or p.high is distinct from excluded.high
or p.low is distinct from excluded.low
or p.close is distinct from excluded.close
or p.adj_close is distinct from excluded.adj_close
or p.volume is distinct from excluded.volume
or p.dividends is distinct from excluded.dividends
or p.splits is distinct from excluded.splits
or p.adjustment is distinct from excluded.adjustment
