-- audits.pair_sessions_missing_a_leg: inside the span where both legs of a pair have prices,
-- no session has one leg's price and not the other's.
-- severity: warning
--
-- Guards the inputs of marts.relative_strength and marts.pair_risk (ops.pairs, staging.prices).
-- Those marts keep only sessions where both legs have a value, so a session one leg lacks is
-- silently skipped, and the other leg's next return spans two sessions against one. The vendor
-- gap itself is already a recorded missing session; this names the pairs it distorts. The
-- figures stay usable (one session in thousands), so the build is kept and the gap reported.
-- Cheap when the legs agree: only pairs whose legs' fingerprints differ are compared row by
-- row.
-- Returns one row per lopsided session: the pair, the date, the leg that has a price and the
-- leg that has none.
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

-- each leg of each pair, with the other leg it must be matched by
legs as (
    select
        pair,
        pair_id,
        0 as leg,
        small as symbol,
        large as other_leg,
        first_date,
        last_date
    from pair_spans
    union all
    select
        pair,
        pair_id,
        1 as leg,
        large as symbol,
        small as other_leg,
        first_date,
        last_date
    from pair_spans
),

-- per pair and leg, a fingerprint of its priced sessions in the span: the count and the exact
-- sum of hash(date). Legs with equal fingerprints have the same sessions (a difference would
-- have to hide in a 64-bit hash collision); only the other pairs are compared row by row.
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

differing as (
    select p.pair
    from pair_spans as p
    inner join leg_prints as s on p.pair_id = s.pair_id and s.leg = 0
    inner join leg_prints as l on p.pair_id = l.pair_id and l.leg = 1
    where s.sessions <> l.sessions or s.print <> l.print
),

differing_legs as (
    select l.*
    from legs as l
    semi join differing as d on l.pair = d.pair
),

-- the prices of the differing pairs' legs only: empty when every pair's legs agree
leg_prices as (
    select
        pr.symbol,
        pr.date
    from staging.prices as pr
    semi join differing_legs as l on pr.symbol = l.symbol
),

lopsided as (
    select
        l.pair,
        pr.date,
        l.symbol as has_price,
        l.other_leg as lacks_price
    from differing_legs as l
    inner join leg_prices as pr
        on l.symbol = pr.symbol and pr.date between l.first_date and l.last_date
    anti join leg_prices as o on l.other_leg = o.symbol and pr.date = o.date
)

select
    pair,
    date,
    has_price,
    lacks_price
from lopsided
order by pair, date
