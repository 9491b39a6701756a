-- The input of the scratch build (transforms/incremental.py): the raw price rows of every
-- symbol to recompute, in full for $full_symbols, and for $tail_symbols from the symbol's last
-- session on or before $lookback_start (so every window and base of a session on or after the
-- cut reads rows that are here).
create table scratch.raw.prices as
with anchors as (
    select
        symbol,
        max(date) as first_date
    from staging.prices
    where symbol in (select unnest($tail_symbols)) and date <= $lookback_start
    group by symbol
)

select p.*
from raw.prices as p
left join anchors as a
    on p.symbol = a.symbol
where
    p.symbol in (select unnest($full_symbols))
    or (p.symbol in (select unnest($tail_symbols)) and p.date >= a.first_date)
