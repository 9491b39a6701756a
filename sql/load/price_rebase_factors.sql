-- The overlap of the incoming batch (registered as `incoming`) with the stored prices: per
-- symbol and common session, both adjusted closes and both closes with their adjustment
-- modes, and the dividend the new download's actions show. sources/price_store.py reads the ratio new/stored from it: constant when the vendor's
-- basis moved cleanly (a dividend since the stored rows were fetched), stepping when one side
-- mixes bases, which the raw closes' day-to-day returns then tell apart.
select
    b.symbol,
    b.date,
    b.adj_close as new_adj,
    p.adj_close as old_adj,
    b.close as new_close,
    p.close as old_close,
    b.adjustment as new_adjustment,
    p.adjustment as old_adjustment,
    b.dividends as new_dividends
from incoming as b
inner join raw.prices as p on b.symbol = p.symbol and b.date = p.date
where b.adj_close > 0 and p.adj_close > 0
order by b.symbol, b.date
