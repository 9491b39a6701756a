-- The pairs of the scratch build: those with a leg to recompute.
create table scratch.ops.pairs as
select *
from ops.pairs
where pair in (select unnest($pairs))
