-- The latest breadth per fund.
select *
from marts.latest_breadth
order by fund
