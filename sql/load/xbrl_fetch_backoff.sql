-- Back-off of the companies fetched this run (registered as fetch_outcomes: cik, failed,
-- reason); parameter: the run's day. A failed or blocked company is due again after
-- 2^(failures-1) days, at most 32; a company that loaded or has no XBRL data is cleared.
insert into raw.xbrl_fetch_backoff (cik, failures, retry_after, reason)
select
    cik,
    1 as failures,
    $1::date + 1 as retry_after,
    reason
from fetch_outcomes
where failed
on conflict (cik) do update
    set
        failures = raw.xbrl_fetch_backoff.failures + 1,
        retry_after = $1::date
        + cast(least(power(2, raw.xbrl_fetch_backoff.failures), 32) as integer),
        reason = excluded.reason
