-- audits.unique_keys_price_marts: every price mart holds one row per natural key.
-- severity: blocking
--
-- Guards: marts.returns and marts.risk (symbol, date), marts.calendar_year_returns
-- (symbol, year), marts.relative_strength and marts.pair_risk (pair, date),
-- marts.latest_indicators (pair). A duplicated key (a join that fans out, a pair configured
-- twice under two names for one key) doubles what alert rules and `rotation status` read, so
-- the build is not kept. Returns one row per duplicated key: the mart, the key as text and how
-- many rows share it.
with returns_keys as (
    select
        'marts.returns' as mart,
        symbol || ' ' || date as key,
        count(*) as copies
    from marts.returns
    group by symbol, date
    having count(*) > 1
),

risk_keys as (
    select
        'marts.risk' as mart,
        symbol || ' ' || date as key,
        count(*) as copies
    from marts.risk
    group by symbol, date
    having count(*) > 1
),

calendar_year_keys as (
    select
        'marts.calendar_year_returns' as mart,
        symbol || ' ' || year as key,
        count(*) as copies
    from marts.calendar_year_returns
    group by symbol, year
    having count(*) > 1
),

relative_strength_keys as (
    select
        'marts.relative_strength' as mart,
        pair || ' ' || date as key,
        count(*) as copies
    from marts.relative_strength
    group by pair, date
    having count(*) > 1
),

pair_risk_keys as (
    select
        'marts.pair_risk' as mart,
        pair || ' ' || date as key,
        count(*) as copies
    from marts.pair_risk
    group by pair, date
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
    select * from returns_keys
    union all
    select * from risk_keys
    union all
    select * from calendar_year_keys
    union all
    select * from relative_strength_keys
    union all
    select * from pair_risk_keys
    union all
    select * from latest_keys
)

select
    mart,
    key,
    copies
from duplicated
order by mart, key
