-- Snapshots already loaded, by file: a replay run does not validate them again.
select
    fund,
    as_of,
    file
from raw.holdings_snapshots
