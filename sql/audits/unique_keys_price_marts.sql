-- audits.unique_keys_price_marts: the pair marts and the calendar-year returns hold one row per
-- natural key.
-- severity: blocking
--
-- Guards: marts.calendar_year_returns (symbol, year), marts.relative_strength and
-- marts.pair_risk (pair, date), marts.latest_indicators (pair); marts.returns and marts.risk
-- have their own, cheaper audit (unique_keys_symbol_marts). A duplicated key (a join that fans
-- out, a pair configured twice) doubles what alert rules and `rotation status` read, so the
-- build is not kept. Returns one row per duplicated key: the mart, the key as text and how
-- many rows share it.
with calendar_year_keys as (
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
