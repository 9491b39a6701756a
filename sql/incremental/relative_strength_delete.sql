-- marts.relative_strength: the rows the scratch build replaces (every row of a pair rebuilt in full, the
-- rows from the cut on of a pair recomputed from its tail).
delete from marts.relative_strength
where
    list_contains($full_pairs, pair)
    or (list_contains($tail_pairs, pair) and date >= $cut)
