-- Breadth per fund and session: how many of the index's members take part in its move
-- (docs/breadth.md has the conventions, the definitions and their limits).
-- grain: fund, session
--
-- Members are those of the fund's latest loaded holdings snapshot on or before the session
-- (staging.holdings_members; the snapshot in force that day), so a member that left counts
-- until the first snapshot without it and one that joined from the first snapshot with it;
-- there is no breadth before a fund's first snapshot. Each count is over the members that have
-- the figure that day (a price, a full window), and the denominators are columns too:
--
-- * above_ma50_share / above_ma200_share: value > its 50- / 200-session mean, over members
--   with a full window (with_ma50 / with_ma200).
-- * new_highs / new_lows / net_new_highs: new 52-week (252-session) closing highs and lows.
-- * advancers / decliners / unchanged on the session's return; ad_line: the running sum of
--   advancers - decliners from the fund's first breadth session.
-- * equal_weight_return: the mean return of the members priced that day;
--   weighted_return: their snapshot weights (not drifted between snapshots), renormalised over
--   those members; breadth_spread = equal_weight_return - weighted_return (above 0: the
--   typical member did better than the weights, a broad move; below 0: a narrow one).
-- * beat_benchmark_20_share / _60: members whose 20- / 60-session return exceeds the
--   benchmark's (ops.breadth_settings, [breadth] benchmark) over the same sessions.
-- * fund_value: the fund's own value that session (the index side of a divergence).
with settings as (
    select benchmark
    from ops.breadth_settings
    where id = 1
),

snapshots as (
    select distinct
        fund,
        as_of
    from staging.holdings_members
),

fund_sessions as (
    select
        s.date as session,
        sn.fund,
        max(sn.as_of) as as_of
    from staging.dashboard_sessions as s
    inner join snapshots as sn on s.date >= sn.as_of
    group by s.date, sn.fund
),

benchmark as (
    select
        t.date,
        t.ret_20,
        t.ret_60
    from marts.member_trends as t
    inner join settings as st on t.symbol = st.benchmark
),

members as (
    select
        fs.session,
        fs.fund,
        fs.as_of,
        m.weight,
        t.value,
        t.ret_1d,
        t.value > t.ma_50 as above_ma50,
        t.value > t.ma_200 as above_ma200,
        t.new_high_252,
        t.new_low_252,
        t.ret_20 > b.ret_20 as beat_20,
        t.ret_60 > b.ret_60 as beat_60
    from fund_sessions as fs
    inner join staging.holdings_members as m on fs.fund = m.fund and fs.as_of = m.as_of
    left join marts.member_trends as t on m.ticker = t.symbol and fs.session = t.date
    left join benchmark as b on fs.session = b.date
),

aggregated as (
    select
        session,
        fund,
        as_of,
        count(*) as members,
        count(value) as members_priced,
        count(above_ma50) as with_ma50,
        count(*) filter (where above_ma50) as above_ma50,
        count(above_ma200) as with_ma200,
        count(*) filter (where above_ma200) as above_ma200,
        count(new_high_252) as with_252,
        count(*) filter (where new_high_252) as new_highs,
        count(*) filter (where new_low_252) as new_lows,
        count(*) filter (where ret_1d > 0) as advancers,
        count(*) filter (where ret_1d < 0) as decliners,
        count(*) filter (where ret_1d = 0) as unchanged,
        avg(ret_1d) as equal_weight_return,
        sum(weight * ret_1d) / nullif(sum(weight) filter (where ret_1d is not null), 0)
            as weighted_return,
        count(beat_20) as with_benchmark_20,
        count(*) filter (where beat_20) as beat_benchmark_20,
        count(beat_60) as with_benchmark_60,
        count(*) filter (where beat_60) as beat_benchmark_60
    from members
    group by session, fund, as_of
)

select
    a.session,
    a.fund,
    a.as_of as holdings_as_of,
    a.members,
    a.members_priced,
    a.with_ma50,
    a.above_ma50,
    a.above_ma50 / nullif(a.with_ma50, 0) as above_ma50_share,
    a.with_ma200,
    a.above_ma200,
    a.above_ma200 / nullif(a.with_ma200, 0) as above_ma200_share,
    a.with_252,
    a.new_highs,
    a.new_lows,
    a.new_highs - a.new_lows as net_new_highs,
    a.advancers,
    a.decliners,
    a.unchanged,
    sum(a.advancers - a.decliners) over (
        partition by a.fund order by a.session rows unbounded preceding
    ) as ad_line,
    a.equal_weight_return,
    a.weighted_return,
    a.equal_weight_return - a.weighted_return as breadth_spread,
    a.with_benchmark_20,
    a.beat_benchmark_20 / nullif(a.with_benchmark_20, 0) as beat_benchmark_20_share,
    a.with_benchmark_60,
    a.beat_benchmark_60 / nullif(a.with_benchmark_60, 0) as beat_benchmark_60_share,
    p.value as fund_value
from aggregated as a
left join staging.prices as p on a.fund = p.symbol and a.session = p.date
