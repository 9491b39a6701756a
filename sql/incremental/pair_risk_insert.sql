-- marts.pair_risk from the scratch build: every row of a pair rebuilt in full, the rows from
-- the cut on of a tail pair (full windows of 63 / 252 returns the scratch input holds).
insert into marts.pair_risk by name
select *
from scratch.marts.pair_risk
where
    pair in (select unnest($full_pairs))
    or (pair in (select unnest($tail_pairs)) and date >= $cut)
