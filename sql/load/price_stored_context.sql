-- Per symbol of a batch (registered as `batch_firsts`: symbol, first date of the batch): the
-- 20 stored rows just before the batch. Validation judges the batch's first rows against
-- these closes (only those on the latest stored adjustment mode: like with like) and its
-- last bar against these volumes.
with recent as (
    select
        p.symbol,
        p.date,
        p.close,
        p.adjustment,
        p.volume,
        row_number() over (partition by p.symbol order by p.date desc) as n
    from batch_firsts as f
    inner join raw.prices as p on f.symbol = p.symbol and f.date > p.date
    qualify n <= 20
),

latest as (
    select
        symbol,
        arg_max(close, date) as close,
        arg_max(adjustment, date) as adjustment
    from recent
    group by symbol
)

select
    r.symbol,
    l.close,
    l.adjustment,
    list(r.volume order by r.date) as volumes,
    list(r.close order by r.date) filter (where r.adjustment = l.adjustment) as closes
from recent as r
inner join latest as l on r.symbol = l.symbol
group by r.symbol, l.close, l.adjustment
