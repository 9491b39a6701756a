-- marts.returns from the scratch build. Every column of a session on or after the cut reads
-- only sessions the scratch input holds (its tail starts at least 14 months earlier), except
-- tr_index, which divides by the symbol's first value: for a tail symbol it is carried from
-- the last kept row before the cut (B), tr_index(B) * value / value(B), the same ratio
-- value / first value (to a rounding, ~1e-16 relative).
insert into marts.returns by name
with boundary as (
    select
        symbol,
        max(date) as date
    from marts.returns
    where symbol in (select unnest($tail_symbols)) and date < $cut
    group by symbol
),

base as (
    select
        r.symbol,
        r.value,
        r.tr_index
    from marts.returns as r
    inner join boundary as b
        on r.symbol = b.symbol and r.date = b.date
)

select
    t.symbol,
    t.date,
    t.value,
    t.ret_1d,
    t.mtd,
    t.qtd,
    t.ytd,
    t.ret_1m,
    t.ret_3m,
    t.ret_6m,
    t.ret_12m,
    case
        when t.symbol in (select unnest($full_symbols)) then t.tr_index
        else b.tr_index * (t.value / b.value)
    end as tr_index
from scratch.marts.returns as t
left join base as b
    on t.symbol = b.symbol
where
    t.symbol in (select unnest($full_symbols))
    or (t.symbol in (select unnest($tail_symbols)) and t.date >= $cut)
