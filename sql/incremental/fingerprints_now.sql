-- The fingerprints of staging.prices now (the layout of ops.price_fingerprints): one row per
-- symbol and month, its session count and the sum of hash(date, value).
select
    symbol,
    cast(year(date) * 12 + month(date) - 1 as integer) as month_key,
    count(*) as sessions,
    sum(cast(hash(date, value) as hugeint)) as checksum
from staging.prices
group by symbol, month_key
