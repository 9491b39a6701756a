-- The input of the per-company scratch build (transforms/incremental_earnings.py): the
-- raw.xbrl_facts rows of the companies $ciks, and nothing of any other company. The model
-- joins only within a company, so it gives these companies the rows a full build would.
create table scratch_earnings.raw.xbrl_facts as
select *
from raw.xbrl_facts
where cik in (select unnest($ciks))
