-- The latest holdings snapshot date.
select max(as_of) from raw.holdings_snapshots
