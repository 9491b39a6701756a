-- audits.unique_keys_price_marts: the latest indicators and the calendar-year returns hold one
-- row per natural key.
-- severity: blocking
--
-- Guards: marts.calendar_year_returns (symbol, year), marts.latest_indicators (pair). The
-- large price marts are matched one to one with their inputs by cheaper audits:
-- unique_keys_symbol_marts (returns, risk), unique_keys_relative_strength,
-- unique_keys_pair_risk. A duplicated key doubles what alert rules and `rotation status` read,
-- so the build is not kept. Returns one row per duplicated key: the mart, the key as text and
-- how many rows share it.
with calendar_year_keys as (
    select
        'marts.calendar_year_returns' as mart,
        symbol || ' ' || year as key,
        count(*) as copies
    from marts.calendar_year_returns
    group by symbol, year
    having count(*) > 1
),

latest_keys as (
    select
        'marts.latest_indicators' as mart,
        pair as key,
        count(*) as copies
    from marts.latest_indicators
    group by pair
    having count(*) > 1
),

duplicated as (
    select * from calendar_year_keys
    union all
    select * from latest_keys
)

select
    mart,
    key,
    copies
from duplicated
order by mart, key
