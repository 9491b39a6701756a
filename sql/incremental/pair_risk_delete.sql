-- marts.pair_risk: the rows the scratch build replaces (every row of a pair rebuilt in full, the
-- rows from the cut on of a pair recomputed from its tail).
delete from marts.pair_risk
where
    pair in (select unnest($full_pairs))
    or (pair in (select unnest($tail_pairs)) and date >= $cut)
