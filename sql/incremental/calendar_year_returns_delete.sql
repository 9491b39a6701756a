-- marts.calendar_year_returns: the rows the scratch build replaces (every year of a symbol
-- rebuilt in full, the years from the cut's on of a symbol recomputed from its tail).
delete from marts.calendar_year_returns
where
    symbol in (select unnest($full_symbols))
    or (symbol in (select unnest($tail_symbols)) and year >= year($cut))
