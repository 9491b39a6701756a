-- Each symbol's first month in staging.prices now (from temp.price_fingerprints_now).
select
    symbol,
    min(month_key) as first_month
from temp.price_fingerprints_now
group by symbol
