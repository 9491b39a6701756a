-- marts.latest_indicators: one row per pair with the headline figures of its latest session
-- (the latest date on which both legs have a value), what `rotation status` prints.
-- grain: pair
--
-- Every figure is copied from the marts that define it (relative_strength, pair_risk, risk,
-- returns), so the conventions are theirs; nothing is recomputed here. Each mart is first cut
-- down to the latest dates (usually one), so the joins below are between small sets.
with latest as (
    select
        pair,
        max(date) as date
    from marts.relative_strength
    group by pair
),

latest_dates as (
    select distinct date
    from latest
),

strength as (
    select t.*
    from marts.relative_strength as t
    where t.date in (select ld.date from latest_dates as ld)
),

pair_risks as (
    select t.*
    from marts.pair_risk as t
    where t.date in (select ld.date from latest_dates as ld)
),

symbol_returns as (
    select t.*
    from marts.returns as t
    where t.date in (select ld.date from latest_dates as ld)
),

symbol_risks as (
    select t.*
    from marts.risk as t
    where t.date in (select ld.date from latest_dates as ld)
),

headline as (
    select
        rs.pair,
        rs.small,
        rs.large,
        rs.kind,
        rs.date,
        rs.small_value,
        rs.large_value,
        rs.ratio,
        rs.ratio_vs_ma50,
        rs.ratio_vs_ma200,
        rs.spread_20d,
        rs.spread_60d,
        rs.ytd_spread,
        rs.streak,
        rs.small_ret_1d,
        rs.large_ret_1d,
        rts.ytd as small_ytd,
        rtl.ytd as large_ytd,
        pr.corr_63,
        pr.beta_63,
        ks.vol_63 as small_vol_63,
        kl.vol_63 as large_vol_63,
        ks.drawdown as small_drawdown,
        kl.drawdown as large_drawdown
    from latest as l
    inner join strength as rs
        on l.pair = rs.pair and l.date = rs.date
    inner join pair_risks as pr
        on l.pair = pr.pair and l.date = pr.date
    inner join symbol_returns as rts
        on rs.small = rts.symbol and l.date = rts.date
    inner join symbol_returns as rtl
        on rs.large = rtl.symbol and l.date = rtl.date
    inner join symbol_risks as ks
        on rs.small = ks.symbol and l.date = ks.date
    inner join symbol_risks as kl
        on rs.large = kl.symbol and l.date = kl.date
)

select
    pair,
    small,
    large,
    kind,
    date,
    small_value,
    large_value,
    ratio,
    ratio_vs_ma50,
    ratio_vs_ma200,
    spread_20d,
    spread_60d,
    ytd_spread,
    streak,
    small_ret_1d,
    large_ret_1d,
    small_ytd,
    large_ytd,
    corr_63,
    beta_63,
    small_vol_63,
    large_vol_63,
    small_drawdown,
    large_drawdown
from headline
