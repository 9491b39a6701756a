-- marts.pair_risk: the rows the scratch build replaces (every row of a pair rebuilt in full, the
-- rows from the cut on of a pair recomputed from its tail).
delete from marts.pair_risk
where
    list_contains($full_pairs, pair)
    or (list_contains($tail_pairs, pair) and date >= $cut)
