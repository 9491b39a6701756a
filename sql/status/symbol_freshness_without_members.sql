-- Per symbol: its latest stored session and row count, in a database that has no
-- ops.member_symbols yet (every stored symbol is a configured one).
select
    symbol,
    max(date) as latest,
    count(*) as rows
from raw.prices
group by symbol
order by symbol
