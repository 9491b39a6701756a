-- Per symbol in $1 (a list): how many rows are stored and the latest stored date.
select
    symbol,
    count(*) as stored_rows,
    max(date) as latest
from raw.prices
where list_contains($1, symbol)
group by symbol
