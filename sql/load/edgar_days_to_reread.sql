-- Daily EDGAR index days to read again: files stored as 'short' (taken for a cut download)
-- or 'unrecognised' (an error page instead of an index) between $since and $until. The daily
-- run reads them with its trailing window until they come whole, so a damaged day heals
-- even after it has left the window (a genuine quiet day is accepted on the second identical
-- read, see edgar_short_index_files.sql).
select distinct period_start as day
from raw.edgar_index_files
where
    status in ('short', 'unrecognised')
    and period_start = period_end
    and period_start between $since and $until
order by day
