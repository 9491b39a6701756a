-- staging.pair_returns: the two legs of every configured pair side by side, one row per
-- session on which both legs have a value (a session missing for either leg is left out, so
-- the ratio never compares prices of different days).
--
-- small_ret / large_ret are simple returns over the pair's own consecutive sessions (value /
-- previous pair session's value - 1): both legs are measured over the same interval even when
-- one of them skipped a day. session numbers the pair's sessions 1, 2, 3, ...; a rolling
-- window of N returns is full from session N + 1 on, of N values from session N on.
-- Pairs come from ops.pairs (transforms.sync_pairs mirrors the configuration into it).
--
-- Also computed in this one window pass, for marts.relative_strength (which would otherwise
-- need a window pass over these columns before its own, i.e. another sort of every row):
--   previous_small_ret / previous_large_ret  the same returns one pair session earlier
--             (lag(value) / lag(value, 2) - 1: the same operation on the same closes, so
--             bit-identical to the previous row's small_ret / large_ret); NULL on sessions 1-2.
--   ratio_sum running sum of small_value / large_value over the pair's sessions so far; an
--             N-session moving average of the ratio is (ratio_sum - ratio_sum N rows back) / N.
--   pair_id   1, 2, 3, ... in the order of the pair names: the sort key of the window passes
--             here and in relative_strength (an integer sorts ~7 % cheaper than the string).
with pair_keys as (
    select
        pair,
        small,
        large,
        kind,
        row_number() over (order by pair) as pair_id
    from ops.pairs
),

legs as (
    select
        p.pair_id,
        p.pair,
        p.small,
        p.large,
        p.kind,
        s.date,
        s.value as small_value,
        l.value as large_value
    from pair_keys as p
    inner join staging.prices as s
        on p.small = s.symbol
    inner join staging.prices as l
        on p.large = l.symbol and s.date = l.date
),

with_returns as (
    select
        pair_id,
        pair,
        small,
        large,
        kind,
        date,
        small_value,
        large_value,
        small_value / lag(small_value) over by_session - 1 as small_ret,
        large_value / lag(large_value) over by_session - 1 as large_ret,
        lag(small_value) over by_session / lag(small_value, 2) over by_session
        - 1 as previous_small_ret,
        lag(large_value) over by_session / lag(large_value, 2) over by_session
        - 1 as previous_large_ret,
        sum(small_value / large_value) over (
            by_session rows between unbounded preceding and current row
        ) as ratio_sum,
        row_number() over by_session as session
    from legs
    window by_session as (partition by pair_id order by date)
)

select
    pair,
    small,
    large,
    kind,
    date,
    small_value,
    large_value,
    small_ret,
    large_ret,
    session,
    pair_id,
    previous_small_ret,
    previous_large_ret,
    ratio_sum
from with_returns
