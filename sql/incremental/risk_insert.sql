-- marts.risk from the scratch build. The volatilities are full windows that the scratch input
-- holds; drawdown and max_drawdown run over the whole history, so for a tail symbol they
-- continue from the last kept row before the cut (B): the peak so far is
-- greatest(peak at B, highest value since the cut), peak at B = value(B) / (1 + drawdown(B)),
-- and max_drawdown = least(max_drawdown(B), lowest drawdown since the cut).
insert into marts.risk by name
with boundary as (
    select
        symbol,
        max(date) as date
    from marts.risk
    where symbol in (select unnest($tail_symbols)) and date < $cut
    group by symbol
),

base as (
    select
        r.symbol,
        r.value / (1 + r.drawdown) as peak_before,
        r.max_drawdown as low_before
    from marts.risk as r
    inner join boundary as b
        on r.symbol = b.symbol and r.date = b.date
),

tail as (
    select
        t.symbol,
        t.date,
        t.value,
        t.vol_21,
        t.vol_63,
        t.vol_252,
        b.low_before,
        t.value / greatest(b.peak_before, max(t.value) over since_cut) - 1 as drawdown
    from scratch.marts.risk as t
    inner join base as b
        on t.symbol = b.symbol
    where t.date >= $cut
    window since_cut as (
        partition by t.symbol order by t.date rows between unbounded preceding and current row
    )
)

select
    symbol,
    date,
    value,
    vol_21,
    vol_63,
    vol_252,
    drawdown,
    least(low_before, min(drawdown) over since_cut) as max_drawdown
from tail
window
    since_cut as (
        partition by symbol order by date rows between unbounded preceding and current row
    )
union all
select
    symbol,
    date,
    value,
    vol_21,
    vol_63,
    vol_252,
    drawdown,
    max_drawdown
from scratch.marts.risk
where symbol in (select unnest($full_symbols))
