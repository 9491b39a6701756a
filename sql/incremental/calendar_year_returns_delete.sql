-- marts.calendar_year_returns: the rows the scratch build replaces (every year of a symbol
-- rebuilt in full, the years from the cut's on of a symbol recomputed from its tail).
delete from marts.calendar_year_returns
where
    list_contains($full_symbols, symbol)
    or (list_contains($tail_symbols, symbol) and year >= year($cut))
