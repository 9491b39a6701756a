-- The scratch build's raw.prices: the split events of the recomputed companies' tickers, the
-- only rows of raw.prices the model reads (splits > 0 and != 1).
create table scratch_earnings.raw.prices as
select p.*
from raw.prices as p
where
    p.splits > 0
    and p.splits != 1
    and p.symbol in (select t.ticker from scratch_earnings.raw.sec_company_tickers as t)
