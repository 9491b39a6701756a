-- audits.relative_strength_sessions_have_both_legs: marts.relative_strength holds each
-- (pair, date) only on sessions where both legs of the pair have a price, and once.
-- severity: blocking
--
-- A session without one leg's price was carried or joined from another day and would read as
-- a fresh value, so the build is not kept. (The key itself is checked by the generated
-- unique_keys audit from the mart's '-- grain:' header, and marts.pair_risk is matched to
-- this mart one to one by its '-- grain matches:' header; a duplicated key shows here too.)
--
-- Cheap on a large universe: per pair, a fingerprint (row count, exact sum of hash(date)) of
-- the mart's rows and of each leg's priced sessions inside the pair's common span (the legs
-- are joined to the prices by symbol, a small hash table, and summed as they stream by). When
-- the mart's fingerprint equals both legs', its dates are exactly the legs' common sessions,
-- each once (a difference would have to hide in a 64-bit hash collision). Only the other pairs
-- (a real gap in one leg, or a broken mart) are compared row by row. Returns one row per
-- offending row: the pair, the date, its rows in the mart and whether each leg has a price.
with spans as (
    select
        symbol,
        min(date) as first_date,
        max(date) as last_date
    from staging.prices
    group by symbol
),

-- pair_id: an integer key for the aggregation below (cheaper to group by than the names)
pair_spans as (
    select
        p.pair,
        p.small,
        p.large,
        row_number() over (order by p.pair) as pair_id,
        greatest(s.first_date, l.first_date) as first_date,
        least(s.last_date, l.last_date) as last_date
    from ops.pairs as p
    inner join spans as s on p.small = s.symbol
    inner join spans as l on p.large = l.symbol
),

legs as (
    select
        pair_id,
        0 as leg,
        small as symbol,
        first_date,
        last_date
    from pair_spans
    union all
    select
        pair_id,
        1 as leg,
        large as symbol,
        first_date,
        last_date
    from pair_spans
),

leg_prints as (
    select
        l.pair_id,
        l.leg,
        count(*) as sessions,
        sum(hash(pr.date)) as print
    from legs as l
    inner join staging.prices as pr
        on l.symbol = pr.symbol and pr.date between l.first_date and l.last_date
    group by l.pair_id, l.leg
),

mart_prints as (
    select
        pair,
        count(*) as sessions,
        sum(hash(date)) as print
    from marts.relative_strength
    group by pair
),

-- pairs whose mart rows are not exactly both legs' sessions in the span (a pair with no
-- prices at all has no legs' fingerprints, so any row of it differs)
differing as (
    select m.pair
    from mart_prints as m
    left join pair_spans as p on m.pair = p.pair
    left join leg_prints as s on p.pair_id = s.pair_id and s.leg = 0
    left join leg_prints as l on p.pair_id = l.pair_id and l.leg = 1
    where
        s.sessions is distinct from m.sessions
        or s.print is distinct from m.print
        or l.sessions is distinct from m.sessions
        or l.print is distinct from m.print
),

mart_rows as (
    select
        r.pair,
        r.small,
        r.large,
        r.date,
        count(*) as rows_in_mart
    from marts.relative_strength as r
    semi join differing as d on r.pair = d.pair
    group by r.pair, r.small, r.large, r.date
),

-- the prices of the differing pairs' legs only: when no pair differs this is empty and the
-- joins below build nothing
leg_prices as (
    select
        pr.symbol,
        pr.date
    from staging.prices as pr
    semi join (
        select m.small as symbol from mart_rows as m
        union
        select m.large as symbol from mart_rows as m
    ) as needed on pr.symbol = needed.symbol
),

checked as (
    select
        m.pair,
        m.date,
        m.rows_in_mart,
        ps.symbol is not null as small_has_price,
        pl.symbol is not null as large_has_price
    from mart_rows as m
    left join leg_prices as ps on m.small = ps.symbol and m.date = ps.date
    left join leg_prices as pl on m.large = pl.symbol and m.date = pl.date
)

select
    pair,
    date,
    rows_in_mart,
    small_has_price,
    large_has_price
from checked
where rows_in_mart > 1 or not small_has_price or not large_has_price
order by pair, date
