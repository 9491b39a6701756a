-- audits.sessions_without_inputs_price_marts: the calendar-year returns and the latest
-- indicators report only sessions that have their inputs.
-- severity: blocking
--
-- Guards: a calendar year of marts.calendar_year_returns starts and ends on sessions the symbol
-- has in staging.prices (its first year has no start: NULL); marts.latest_indicators reports a
-- session marts.relative_strength has for that pair. The large marts are matched to their
-- inputs session by session by the generated unique_keys audit (returns and risk to the
-- prices, pair_risk to relative_strength) and by relative_strength_sessions_have_both_legs
-- (relative_strength to both legs' prices). A row without its inputs was carried forward or joined from another session and would be read as a fresh
-- value, so the build is not kept. Returns one row per offending row: the mart, its key and
-- the input that is missing.
-- the prices on the dates the two small marts mention (year ends, the latest sessions): a few
-- dozen dates, so the joins below never build a table of every price
with year_end_prices as (
    select
        p.symbol,
        p.date
    from staging.prices as p
    where
        p.date in (select c.end_date from marts.calendar_year_returns as c)
        or p.date in (select c.start_date from marts.calendar_year_returns as c)
),

latest_strength as (
    select
        s.pair,
        s.date
    from marts.relative_strength as s
    where s.date in (select l.date from marts.latest_indicators as l)
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
    left join year_end_prices as ps on c.symbol = ps.symbol and c.start_date = ps.date
    left join year_end_prices as pe on c.symbol = pe.symbol and c.end_date = pe.date
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
    anti join latest_strength as s on l.pair = s.pair and l.date = s.date
),

orphans as (
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
