-- The latest valuation per fund.
select *
from marts.latest_valuation
order by fund
