-- How many price rows each symbol has now (from temp.price_fingerprints_now).
select
    symbol,
    sum(sessions) as price_rows
from temp.price_fingerprints_now
group by symbol
