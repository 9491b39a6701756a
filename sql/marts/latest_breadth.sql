-- One row per fund: its breadth on its latest session with members priced (what `rotation
-- status` shows), with the share above the 50-session mean 10 such sessions earlier, to show
-- the direction. A session where the fund is priced but none of its members is (a vendor that
-- has not delivered them yet, a replay whose member bars end earlier) has no breadth to show:
-- zero of 1,930 would read as news.
-- grain: fund
with ranked as (
    select
        *,
        lag(above_ma50_share, 10) over (partition by fund order by session) as above_ma50_share_10,
        row_number() over (partition by fund order by session desc) as newest
    from marts.breadth
    where members_priced > 0
)

select
    fund,
    session,
    holdings_as_of,
    members,
    members_priced,
    above_ma50_share,
    above_ma50_share_10,
    above_ma200_share,
    net_new_highs,
    advancers,
    decliners,
    ad_line,
    equal_weight_return,
    weighted_return,
    breadth_spread,
    beat_benchmark_20_share,
    beat_benchmark_60_share
from ranked
where newest = 1
