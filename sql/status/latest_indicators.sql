-- The latest indicators per pair.
select *
from marts.latest_indicators
order by pair
