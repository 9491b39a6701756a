-- After a kept build: the per-company fingerprints marts.earnings_ttm now describes (see
-- sql/schema/200_earnings_build_fingerprints.sql).
insert into ops.earnings_fingerprints
select
    cik,
    facts,
    facts_checksum,
    splits,
    splits_checksum
from temp.earnings_fingerprints_now
