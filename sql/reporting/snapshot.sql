-- reporting/snapshot: each pair's figures on its last session on or before $1, with the
-- 63-session correlation and the 200-session average's change over the last 20 sessions
-- (rising or still falling): the "state of the rotation" table at the top of a report.
with history as (
    select
        pair,
        date,
        ratio_ma200 / lag(ratio_ma200, 20) over (partition by pair order by date) - 1
            as ma200_change_20d
    from marts.relative_strength
    where date <= $1
),

latest as (
    select
        pair,
        max(date) as date
    from history
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
        h.ma200_change_20d,
        pr.corr_63
    from latest
    inner join marts.relative_strength as rs
        on latest.pair = rs.pair and latest.date = rs.date
    inner join history as h
        on latest.pair = h.pair and latest.date = h.date
    left join marts.pair_risk as pr
        on latest.pair = pr.pair and latest.date = pr.date
)

select *
from figures
order by pair
