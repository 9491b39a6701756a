-- The batch (registered as incoming) against what is stored: how many of its rows are new and
-- how many change a stored row; the rest are unchanged.
select
    count(*) filter (where p.symbol is null) as inserted,
    count(*) filter (
        where p.symbol is not null and (
            p.open is distinct from b.open
            or p.high is distinct from b.high
            or p.low is distinct from b.low
            or p.close is distinct from b.close
            or p.adj_close is distinct from b.adj_close
            or p.volume is distinct from b.volume
            or p.dividends is distinct from b.dividends
            or p.splits is distinct from b.splits
            or p.adjustment is distinct from b.adjustment
        )
    ) as updated
from incoming as b
left join raw.prices as p on b.symbol = p.symbol and b.date = p.date
