-- Index members' price freshness in one row for `rotation status` (the per-symbol table
-- would list thousands): members priced by the member stage, how many delivered on the last
-- run's session, and the oldest latest session among those still members.
-- Parameter: the expected session.
with latest as (
    select
        m.symbol,
        m.last_requested,
        max(p.date) as latest
    from ops.member_symbols as m
    left join raw.prices as p on m.symbol = p.symbol
    group by m.symbol, m.last_requested
),

newest as (
    select max(last_requested) as last_requested
    from ops.member_symbols
),

current_members as (
    select l.*
    from latest as l
    inner join newest as n on l.last_requested = n.last_requested
)

select
    count(*) as members,
    count(*) filter (where latest >= $1) as up_to_date,
    count(*) filter (where latest is null) as never_priced,
    min(latest) as oldest_latest
from current_members
