-- reporting/snapshot: each pair's figures on its last session on or before $1, with the
-- 63-session correlation: the "state of the rotation" table at the top of a report.
with latest as (
    select
        pair,
        max(date) as date
    from marts.relative_strength
    where date <= $1
    group by pair
),

figures as (
    select
        rs.pair,
        rs.kind,
        rs.date,
        rs.ratio,
        rs.ratio_vs_ma50,
        rs.ratio_vs_ma200,
        rs.spread_20d,
        rs.spread_60d,
        rs.ytd_spread,
        rs.streak,
        pr.corr_63
    from latest
    inner join marts.relative_strength as rs
        on latest.pair = rs.pair and latest.date = rs.date
    left join marts.pair_risk as pr
        on latest.pair = pr.pair and latest.date = pr.date
)

select *
from figures
order by pair
