-- audits.daily_moves_within_bounds: no stored daily move is larger than its symbol's limit.
-- severity: blocking
--
-- Guards marts.returns.ret_1d with the limits the price suite already applies to each batch
-- ([prices] max_daily_move, and max_daily_move_overrides per symbol: a volatility index such
-- as ^VIX more than doubles in a day, an ETF does not move 25%). The suite judges a batch
-- row by row; this audit judges the stored series as the marts see it, where a move can still
-- appear between two batches (a gap healed by a later fetch, a re-basing gone wrong, two
-- adjustment bases meeting). Such a move would fire false alerts, so the build is not kept.
-- Parameters: $max_daily_move (the default limit), $move_override_symbols and
-- $move_override_limits (aligned lists: the overrides). Returns one row per offending session:
-- the symbol, the date, the value before and after, the move and the limit it broke.
with limits as (
    select
        map(
            cast($move_override_symbols as varchar[]),
            cast($move_override_limits as double[])
        ) as overrides
),

moves as (
    select
        r.symbol,
        r.date,
        r.value / (1 + r.ret_1d) as previous_value,
        r.value,
        r.ret_1d,
        coalesce(l.overrides[r.symbol], $max_daily_move) as max_move
    from marts.returns as r
    cross join limits as l
    where r.ret_1d is not null
)

select
    symbol,
    date,
    previous_value,
    value,
    ret_1d,
    max_move
from moves
where abs(ret_1d) > max_move
order by symbol, date
