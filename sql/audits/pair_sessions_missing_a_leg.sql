-- audits.pair_sessions_missing_a_leg: inside the span where both legs of a pair have prices,
-- no session has one leg's price and not the other's.
-- severity: warning
--
-- Guards the inputs of marts.relative_strength and marts.pair_risk (ops.pairs, staging.prices).
-- Those marts keep only sessions where both legs have a value, so a session one leg lacks is
-- silently skipped, and the other leg's next return spans two sessions against one. The vendor
-- gap itself is already a recorded missing session; this names the pairs it distorts. The
-- figures stay usable (one session in thousands), so the build is kept and the gap reported.
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

pair_spans as (
    select
        p.pair,
        p.small,
        p.large,
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
        small as symbol,
        large as other_leg,
        first_date,
        last_date
    from pair_spans
    union all
    select
        pair,
        large as symbol,
        small as other_leg,
        first_date,
        last_date
    from pair_spans
),

lopsided as (
    select
        l.pair,
        pr.date,
        l.symbol as has_price,
        l.other_leg as lacks_price
    from legs as l
    inner join staging.prices as pr
        on l.symbol = pr.symbol and pr.date between l.first_date and l.last_date
    anti join staging.prices as o on l.other_leg = o.symbol and pr.date = o.date
)

select
    pair,
    date,
    has_price,
    lacks_price
from lopsided
order by pair, date
