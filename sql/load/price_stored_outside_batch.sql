-- Stored rows of the batch's symbols that the batch (registered as `incoming`) does not hold:
-- before it, after it, and the days inside its range it lacks or quarantined. A re-base must
-- move every one of them, or a day the batch skipped keeps the old basis.
select
    p.symbol,
    p.date
from raw.prices as p
where
    p.symbol in (select distinct i.symbol from incoming as i)
    and not exists (
        select 1 from incoming as b
        where b.symbol = p.symbol and b.date = p.date
    )
order by p.symbol, p.date
