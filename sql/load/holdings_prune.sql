-- After an upsert, remove the lines of that snapshot a corrected file no longer has.
-- Parameters: fund, as_of. holdings_batch holds the snapshot's lines just written.
delete from raw.holdings
where
    fund = $1
    and as_of = $2
    and line not in (select hb.line from holdings_batch as hb)
