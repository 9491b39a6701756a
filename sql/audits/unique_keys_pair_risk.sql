-- audits.unique_keys_pair_risk: marts.pair_risk holds exactly the (pair, date) rows of
-- marts.relative_strength, once each.
-- severity: blocking
--
-- marts.pair_risk is computed from the rows of marts.relative_strength, whose keys
-- (unique_keys_price_marts) and legs' prices (sessions_without_inputs_price_marts) are audited
-- directly; matching pair_risk to it one to one gives pair_risk the same guarantees at a
-- fraction of the cost. First, per pair, a fingerprint of each side: the row count and the
-- exact sum of hash(date); equal fingerprints mean the same dates, each once (a difference
-- would have to hide in a 64-bit hash collision). Only the pairs whose fingerprints differ get
-- the exact comparison. Returns one row per offending session: the pair, the date, its rows in
-- marts.pair_risk and in marts.relative_strength.
with strength_prints as (
    select
        pair,
        count(*) as sessions,
        sum(cast(hash(date) as hugeint)) as print
    from marts.relative_strength
    group by pair
),

risk_prints as (
    select
        pair,
        count(*) as sessions,
        sum(cast(hash(date) as hugeint)) as print
    from marts.pair_risk
    group by pair
),

differing as (
    select coalesce(r.pair, s.pair) as pair
    from risk_prints as r
    full join strength_prints as s on r.pair = s.pair
    where
        r.pair is null
        or s.pair is null
        or r.sessions <> s.sessions
        or r.print <> s.print
),

risk_rows as (
    select
        r.pair,
        r.date,
        count(*) as rows_in_risk
    from marts.pair_risk as r
    semi join differing as d on r.pair = d.pair
    group by r.pair, r.date
),

strength_rows as (
    select
        s.pair,
        s.date,
        count(*) as rows_in_strength
    from marts.relative_strength as s
    semi join differing as d on s.pair = d.pair
    group by s.pair, s.date
),

counted as (
    select
        coalesce(r.pair, s.pair) as pair,
        coalesce(r.date, s.date) as date,
        coalesce(r.rows_in_risk, 0) as pair_risk_rows,
        coalesce(s.rows_in_strength, 0) as relative_strength_rows
    from risk_rows as r
    full join strength_rows as s on r.pair = s.pair and r.date = s.date
)

select
    pair,
    date,
    pair_risk_rows,
    relative_strength_rows
from counted
where pair_risk_rows <> 1 or relative_strength_rows <> 1
order by pair, date
