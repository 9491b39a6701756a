-- Adds and drops between consecutive snapshots of each fund: who joined, who left.
-- grain: fund, as_of, ticker, change
--
-- Compares each loaded snapshot with the fund's previous loaded one (a blocked snapshot is not
-- loaded, so the comparison skips it). An add carries its weight in the new snapshot, a drop
-- its weight in the old one. A ticker change (a company renamed its symbol) shows as one drop
-- and one add: the files carry no identifier that survives a symbol change.
with members as (
    select
        fund,
        as_of,
        ticker,
        name,
        weight
    from staging.holdings_members
),

snapshots as (
    select distinct
        fund,
        as_of
    from members
),

ordered as (
    select
        fund,
        as_of,
        lag(as_of) over (partition by fund order by as_of) as previous_as_of
    from snapshots
),

adds as (
    select
        o.fund,
        o.as_of,
        o.previous_as_of,
        m.ticker,
        m.name,
        'add' as change,
        m.weight
    from ordered as o
    inner join members as m on o.fund = m.fund and o.as_of = m.as_of
    anti join members as p
        on o.fund = p.fund and o.previous_as_of = p.as_of and m.ticker = p.ticker
    where o.previous_as_of is not null
),

drops as (
    select
        o.fund,
        o.as_of,
        o.previous_as_of,
        p.ticker,
        p.name,
        'drop' as change,
        p.weight
    from ordered as o
    inner join members as p on o.fund = p.fund and o.previous_as_of = p.as_of
    anti join members as m
        on o.fund = m.fund and o.as_of = m.as_of and p.ticker = m.ticker
    where o.previous_as_of is not null
),

changes as (
    select * from adds
    union all
    select * from drops
)

select
    fund,
    as_of,
    previous_as_of,
    ticker,
    name,
    change,
    weight
from changes
