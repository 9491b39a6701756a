-- After a kept build: the fingerprints the marts now describe (see
-- sql/schema/120_price_build_fingerprints.sql).
insert into ops.price_fingerprints
select
    symbol,
    month_key,
    sessions,
    checksum
from temp.price_fingerprints_now
