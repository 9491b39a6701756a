-- reporting/pairs: every pair a report shows, configured (ops.pairs) or present in the marts,
-- with its legs, so a configured pair without data gets a "no data" panel instead of vanishing.
with configured as (
    select
        pair,
        small,
        large,
        kind
    from ops.pairs
),

present as (
    select distinct
        pair,
        small,
        large,
        kind
    from marts.relative_strength
),

combined as (
    select * from configured
    union
    select * from present
)

select
    pair,
    small,
    large,
    kind
from combined
order by pair
