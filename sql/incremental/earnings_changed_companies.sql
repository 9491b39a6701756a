-- Each company whose inputs differ from those marts.earnings_ttm was built from
-- (temp.earnings_fingerprints_now against ops.earnings_fingerprints): new, changed or gone,
-- with its fact rows now (what the scratch build copies).
select
    coalesce(n.cik, o.cik) as cik,
    coalesce(n.facts, 0) as facts_now,
    o.cik is null as is_new,
    n.cik is null as is_gone
from temp.earnings_fingerprints_now as n
full outer join ops.earnings_fingerprints as o on n.cik = o.cik
where
    n.cik is null
    or o.cik is null
    or n.facts != o.facts
    or n.facts_checksum != o.facts_checksum
    or n.splits != o.splits
    or n.splits_checksum != o.splits_checksum
order by 1
