-- Each symbol whose prices differ from those the marts were built from
-- (temp.price_fingerprints_now against ops.price_fingerprints): the first month that
-- differs, the symbol's first month then and now, and whether it exists on each side.
with compared as (
    select
        coalesce(n.symbol, o.symbol) as symbol,
        coalesce(n.month_key, o.month_key) as month_key,
        n.symbol is not null as in_now,
        o.symbol is not null as in_built,
        coalesce(n.sessions = o.sessions and n.checksum = o.checksum, false) as same
    from temp.price_fingerprints_now as n
    full outer join ops.price_fingerprints as o
        on n.symbol = o.symbol and n.month_key = o.month_key
),

per_symbol as (
    select
        symbol,
        min(month_key) filter (where not same) as first_changed_month,
        min(month_key) filter (where in_now) as first_month_now,
        min(month_key) filter (where in_built) as first_month_built,
        bool_or(in_now) as exists_now,
        bool_or(in_built) as existed
    from compared
    group by symbol
)

select
    symbol,
    first_changed_month,
    first_month_now,
    first_month_built,
    exists_now,
    existed
from per_symbol
where first_changed_month is not null
order by symbol
