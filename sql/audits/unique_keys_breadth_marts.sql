-- audits.unique_keys_breadth_marts: every breadth mart holds one row per natural key.
-- severity: blocking
--
-- Guards: marts.member_trends (symbol, date), marts.breadth (fund, session),
-- marts.breadth_signals (fund, session), marts.latest_breadth (fund). A member counted twice
-- (two snapshots in force on one session, a price row joined twice) moves every share and
-- the advance/decline line without anyone seeing why, so the build is not kept. Returns one
-- row per duplicated key: the mart, the key as text and how many rows share it.
with trend_keys as (
    select
        'marts.member_trends' as mart,
        symbol || ' ' || date as key,
        count(*) as copies
    from marts.member_trends
    group by symbol, date
    having count(*) > 1
),

breadth_keys as (
    select
        'marts.breadth' as mart,
        fund || ' ' || session as key,
        count(*) as copies
    from marts.breadth
    group by fund, session
    having count(*) > 1
),

signal_keys as (
    select
        'marts.breadth_signals' as mart,
        fund || ' ' || session as key,
        count(*) as copies
    from marts.breadth_signals
    group by fund, session
    having count(*) > 1
),

latest_keys as (
    select
        'marts.latest_breadth' as mart,
        fund as key,
        count(*) as copies
    from marts.latest_breadth
    group by fund
    having count(*) > 1
),

duplicated as (
    select * from trend_keys
    union all
    select * from breadth_keys
    union all
    select * from signal_keys
    union all
    select * from latest_keys
)

select
    mart,
    key,
    copies
from duplicated
order by mart, key
