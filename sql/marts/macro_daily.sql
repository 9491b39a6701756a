-- Macro risk per NYSE session, each value the last one public on that session (as-of join
-- on the release date, never a value from the session's future).
-- grain: date
--
-- Units: spreads and their changes in basis points (FRED gives percent); yields, the curve and
-- Fed funds in percent; claims in persons. Claims: 4-week average of weekly ICSA against the
-- lowest 4-week average of the last 52 weeks (full windows only). Fed cuts: days in the
-- trailing 365 on which DFF fell by 0.15 points or more from the previous observation (a
-- 25 bp cut shows up as one such day since the 2008 target range; before that DFF was noisy,
-- and the count is NULL until the DFF history reaches a year back). The curve is T10Y2Y,
-- else DGS10 - DGS2. *_date columns say which observation each value is.
with sessions as (
    select
        date,
        (date - interval 1 month)::date as date_1m,
        (date - interval 3 month)::date as date_3m,
        (date - interval 6 month)::date as date_6m
    from staging.dashboard_sessions
),

hy as (
    select
        available_date,
        date,
        value
    from staging.macro_latest
    where series_id = 'BAMLH0A0HYM2'
),

ig as (
    select
        available_date,
        date,
        value
    from staging.macro_latest
    where series_id = 'BAMLC0A0CM'
),

curve as (
    select
        available_date,
        date,
        value
    from staging.macro_latest
    where series_id = 'T10Y2Y'
),

dgs10 as (
    select
        available_date,
        date,
        value
    from staging.macro_latest
    where series_id = 'DGS10'
),

dgs2 as (
    select
        available_date,
        date,
        value
    from staging.macro_latest
    where series_id = 'DGS2'
),

dff as (
    select
        available_date,
        date,
        value
    from staging.macro_latest
    where series_id = 'DFF'
),

nfci as (
    select
        available_date,
        date,
        value
    from staging.macro_latest
    where series_id = 'NFCI'
),

vix as (
    select
        available_date,
        date,
        value
    from staging.macro_latest
    where series_id = 'VIXCLS'
),

unrate as (
    select
        available_date,
        date,
        value
    from staging.macro_latest
    where series_id = 'UNRATE'
),

claims_4wk as (
    select
        available_date,
        date,
        value,
        case when count(value) over w4 = 4 then avg(value) over w4 end as avg_4wk
    from staging.macro_latest
    where series_id = 'ICSA'
    window w4 as (order by date rows between 3 preceding and current row)
),

claims as (
    select
        *,
        case when count(avg_4wk) over w52 = 52 then min(avg_4wk) over w52 end as low_52wk
    from claims_4wk
    window w52 as (order by date rows between 51 preceding and current row)
),

dff_moves as (
    select
        available_date,
        value - lag(value) over (order by date) as change
    from dff
),

fed_cuts as (
    select
        sessions.date,
        case
            when (select min(d.date) from dff as d) <= sessions.date - 365
                then count(dff_moves.available_date)
        end as fed_cuts_12m
    from sessions
    left join dff_moves
        on
            dff_moves.change <= -0.15
            and sessions.date >= dff_moves.available_date
            and dff_moves.available_date > sessions.date - 365
    group by sessions.date
),

joined as (
    select
        sessions.date,
        hy.value * 100 as hy_spread_bp,
        (hy.value - hy_1m.value) * 100 as hy_spread_chg_1m_bp,
        (hy.value - hy_3m.value) * 100 as hy_spread_chg_3m_bp,
        hy.date as hy_spread_date,
        ig.value * 100 as ig_spread_bp,
        ig.date as ig_spread_date,
        claims.avg_4wk as claims_4wk,
        claims.low_52wk as claims_4wk_low_52wk,
        (claims.avg_4wk / claims.low_52wk - 1) * 100 as claims_4wk_vs_low_pct,
        claims.date as claims_date,
        coalesce(curve.value, dgs10.value - dgs2.value) as curve_10y2y,
        coalesce(curve.date, least(dgs10.date, dgs2.date)) as curve_date,
        dgs10.value as yield_10y,
        dgs2.value as yield_2y,
        dff.value as fed_funds,
        dff.value - dff_3m.value as fed_funds_chg_3m,
        dff.value - dff_6m.value as fed_funds_chg_6m,
        fed_cuts.fed_cuts_12m,
        dff.date as fed_funds_date,
        nfci.value as nfci,
        nfci.date as nfci_date,
        vix.value as vix,
        unrate.value as unemployment_rate,
        unrate.date as unemployment_date
    from sessions
    asof left join hy on sessions.date >= hy.available_date
    asof left join hy as hy_1m on sessions.date_1m >= hy_1m.available_date
    asof left join hy as hy_3m on sessions.date_3m >= hy_3m.available_date
    asof left join ig on sessions.date >= ig.available_date
    asof left join claims on sessions.date >= claims.available_date
    asof left join curve on sessions.date >= curve.available_date
    asof left join dgs10 on sessions.date >= dgs10.available_date
    asof left join dgs2 on sessions.date >= dgs2.available_date
    asof left join dff on sessions.date >= dff.available_date
    asof left join dff as dff_3m on sessions.date_3m >= dff_3m.available_date
    asof left join dff as dff_6m on sessions.date_6m >= dff_6m.available_date
    asof left join nfci on sessions.date >= nfci.available_date
    asof left join vix on sessions.date >= vix.available_date
    asof left join unrate on sessions.date >= unrate.available_date
    left join fed_cuts on sessions.date = fed_cuts.date
)

select *
from joined
