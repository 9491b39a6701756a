-- marts.calendar_year_returns from the scratch build: every year of a symbol rebuilt in full,
-- the years from the cut's on of a tail symbol (the previous year's last close, their base,
-- is in the scratch input).
insert into marts.calendar_year_returns by name
select *
from scratch.marts.calendar_year_returns
where
    symbol in (select unnest($full_symbols))
    or (symbol in (select unnest($tail_symbols)) and year >= year($cut))
