-- Companies whose last fetch failed (a body we could not read) or was blocked by validation
-- (most of its facts implausible): how many times in a row, and the first day it is due
-- again. The refresh queue skips a company until then, so one company's bad file is asked
-- again after 1, 2, 4, ... 32 days, not on every run (flows/fundamentals.py). A fetch that
-- loads removes the company's row.
create table if not exists raw.xbrl_fetch_backoff (
    cik bigint primary key,
    failures integer not null,         -- consecutive failed or blocked fetches
    retry_after date not null,         -- not fetched again before this day
    reason varchar not null            -- the last failure, one line
);
