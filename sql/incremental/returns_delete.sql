-- marts.returns: the rows the scratch build replaces (every row of a symbol rebuilt in full, the
-- rows from the cut on of a symbol recomputed from its tail).
delete from marts.returns
where
    list_contains($full_symbols, symbol)
    or (list_contains($tail_symbols, symbol) and date >= $cut)
