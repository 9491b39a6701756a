-- audits.sessions_without_inputs_price_marts: every session a price mart reports has the
-- prices it is computed from.
-- severity: blocking
--
-- Guards: a row of marts.relative_strength needs both legs' prices that session in
-- staging.prices; a calendar year of marts.calendar_year_returns starts and ends on sessions
-- the symbol has (its first year has no start: NULL); marts.latest_indicators reports a
-- session marts.relative_strength has for that pair. (marts.returns and marts.risk are matched
-- to the prices one to one by unique_keys_symbol_marts, marts.pair_risk to
-- marts.relative_strength by unique_keys_pair_risk.) A row without its inputs was carried
-- forward or joined from another session and would be read as a fresh value, so the build is
-- not kept. Returns one row per offending row: the mart, its key and the input that is
-- missing.
--
-- Every (symbol, session) a pair row needs (both of its legs) is probed against the prices in
-- one anti join: one hash table of the prices, not one per leg.
with needed as (
    select
        'marts.relative_strength' as mart,
        pair as subject,
        unnest([small, large]) as symbol,
        date
    from marts.relative_strength
),

session_orphans as (
    select
        n.mart,
        n.subject || ' ' || n.date as key,
        'no price of ' || n.symbol || ' that session' as missing
    from needed as n
    anti join staging.prices as p on n.symbol = p.symbol and n.date = p.date
),

calendar_year_orphans as (
    select
        'marts.calendar_year_returns' as mart,
        c.symbol || ' ' || c.year as key,
        'no price of ' || c.symbol || ' on ' || coalesce(
            cast(case when pe.date is null then c.end_date else c.start_date end as varchar),
            'a NULL end_date'
        ) as missing
    from marts.calendar_year_returns as c
    left join staging.prices as ps on c.symbol = ps.symbol and c.start_date = ps.date
    left join staging.prices as pe on c.symbol = pe.symbol and c.end_date = pe.date
    -- the symbol's first year has no start (NULL): only its end is checked
    where pe.date is null or (c.start_date is not null and ps.date is null)
),

latest_orphans as (
    select
        'marts.latest_indicators' as mart,
        l.pair as key,
        'no marts.relative_strength row of ' || l.pair || ' on ' || coalesce(
            cast(l.date as varchar), 'a NULL date'
        ) as missing
    from marts.latest_indicators as l
    anti join marts.relative_strength as s on l.pair = s.pair and l.date = s.date
),

orphans as (
    select * from session_orphans
    union all
    select * from calendar_year_orphans
    union all
    select * from latest_orphans
)

select
    mart,
    key,
    missing
from orphans
order by mart, key, missing
