-- marts.calendar_year_returns from the scratch build: every year of a symbol rebuilt in full,
-- the years from the cut's on of a tail symbol (the previous year's last close, their base,
-- is in the scratch input).
insert into marts.calendar_year_returns by name
select *
from scratch.marts.calendar_year_returns
where
    list_contains($full_symbols, symbol)
    or (list_contains($tail_symbols, symbol) and year >= year($cut))
