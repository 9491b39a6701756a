-- marts.returns: the rows the scratch build replaces (every row of a symbol rebuilt in full, the
-- rows from the cut on of a symbol recomputed from its tail).
delete from marts.returns
where
    symbol in (select unnest($full_symbols))
    or (symbol in (select unnest($tail_symbols)) and date >= $cut)
