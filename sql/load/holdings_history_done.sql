-- The (fund, month_end) pairs the holdings history backfill does not ask for again: every
-- answered month except those whose request failed.
select
    fund,
    month_end
from ops.holdings_history
where status != 'failed'
