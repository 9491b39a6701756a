-- staging.pair_returns: the two legs of every configured pair side by side, one row per
-- session on which both legs have a value (a session missing for either leg is left out, so
-- the ratio never compares prices of different days).
--
-- small_ret / large_ret are simple returns over the pair's own consecutive sessions (value /
-- previous pair session's value - 1): both legs are measured over the same interval even when
-- one of them skipped a day. session numbers the pair's sessions 1, 2, 3, ...; a rolling
-- window of N returns is full from session N + 1 on, of N values from session N on.
-- Pairs come from ops.pairs (transforms.sync_pairs mirrors the configuration into it).
with legs as (
    select
        p.pair,
        p.small,
        p.large,
        p.kind,
        s.date,
        s.value as small_value,
        l.value as large_value
    from ops.pairs as p
    inner join staging.prices as s
        on p.small = s.symbol
    inner join staging.prices as l
        on p.large = l.symbol and s.date = l.date
),

with_returns as (
    select
        pair,
        small,
        large,
        kind,
        date,
        small_value,
        large_value,
        small_value / lag(small_value) over by_session - 1 as small_ret,
        large_value / lag(large_value) over by_session - 1 as large_ret,
        row_number() over by_session as session
    from legs
    window by_session as (partition by pair order by date)
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
    session
from with_returns
