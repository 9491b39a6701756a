-- Per symbol of the incoming batch: how its adjusted closes relate to the stored ones on the
-- sessions both hold. A constant ratio other than 1 means the vendor's adjustment basis moved
-- (a dividend or split since the stored rows were fetched); stored rows outside the batch
-- must be multiplied by it so the series never mixes bases. The factor for rows before the
-- batch comes from the 20 earliest common sessions, for rows after it from the 20 latest;
-- spread (max/min - 1 over all common sessions) tells whether the ratio really is constant.
with overlap as (
    select
        b.symbol,
        b.date,
        b.adj_close / p.adj_close as ratio,
        row_number() over (partition by b.symbol order by b.date) as from_start,
        row_number() over (partition by b.symbol order by b.date desc) as from_end
    from incoming as b
    inner join raw.prices as p on b.symbol = p.symbol and b.date = p.date
    where b.adj_close > 0 and p.adj_close > 0
),

per_symbol as (
    select
        symbol,
        count(*) as overlap_rows,
        min(date) as first_common,
        max(date) as last_common,
        median(ratio) filter (where from_start <= 20) as factor_before,
        median(ratio) filter (where from_end <= 20) as factor_after,
        max(ratio) / min(ratio) - 1 as spread
    from overlap
    group by symbol
)

select
    s.symbol,
    s.overlap_rows,
    s.factor_before,
    s.factor_after,
    s.spread,
    b.first_date,
    b.last_date
from per_symbol as s
inner join (
    select
        symbol,
        min(date) as first_date,
        max(date) as last_date
    from incoming
    group by symbol
) as b on s.symbol = b.symbol
