-- Per configured symbol: its latest stored session and row count. Index members (thousands)
-- are summarised by reporting/member_freshness.sql instead.
select
    symbol,
    max(date) as latest,
    count(*) as rows
from raw.prices
where symbol not in (select m.symbol from ops.member_symbols as m)
group by symbol
order by symbol
