-- marts.earnings_ttm from the scratch build: the recomputed companies' rows, every column as
-- the model made them (the same SQL on their rows alone).
insert into marts.earnings_ttm by name
select *
from scratch_earnings.marts.earnings_ttm
