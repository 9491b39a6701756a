-- One row per NYSE session lining up prices, deal flow and macro risk: the one table alert
-- rules and ad-hoc queries read.
-- grain: date
--
-- Prices: the headline pairs IWM/SPY (total-return funds) and ^RUT/^GSPC (price indices) as
-- columns, every configured pair in the pairs list; IWM and SPY returns and IWM risk. Deal flow
-- and macro are joined as of the session (the last row on or before it, never a later one):
-- the EDGAR and Nasdaq marts are per session already, the as-of join also carries the last
-- known value over a session whose row is missing. Sessions are the dates of raw.prices until
-- a session table exists (staging.dashboard_sessions).
with sessions as (
    select date
    from staging.dashboard_sessions
),

rs_iwm_spy as (
    select
        date,
        ratio,
        ratio_vs_ma50,
        ratio_vs_ma200,
        spread_20d,
        spread_60d,
        ytd_spread,
        streak
    from marts.relative_strength
    where pair = 'IWM/SPY'
),

rs_rut_gspc as (
    select
        date,
        ratio,
        ratio_vs_ma200,
        spread_20d,
        spread_60d,
        ytd_spread
    from marts.relative_strength
    where pair = '^RUT/^GSPC'
),

pairs as (
    select
        date,
        list(
            struct_pack(
                pair := pair, kind := kind, ratio := ratio, ratio_vs_ma200 := ratio_vs_ma200,
                spread_20d := spread_20d, spread_60d := spread_60d, ytd_spread := ytd_spread
            )
            order by pair
        ) as pairs
    from marts.relative_strength
    group by date
),

iwm as (
    select
        date,
        ret_1d,
        mtd,
        ytd,
        ret_3m,
        ret_12m
    from marts.returns
    where symbol = 'IWM'
),

spy as (
    select
        date,
        ret_1d,
        ytd,
        ret_3m,
        ret_12m
    from marts.returns
    where symbol = 'SPY'
),

iwm_risk as (
    select
        date,
        vol_63,
        drawdown,
        max_drawdown
    from marts.risk
    where symbol = 'IWM'
),

iwm_spy_risk as (
    select
        date,
        corr_63,
        beta_63
    from marts.pair_risk
    where pair = 'IWM/SPY'
),

deal_flow as (
    select
        date,
        max(filings_30) filter (where category = 'ipo_pipeline') as ipo_pipeline_30,
        max(filings_30_ratio) filter (where category = 'ipo_pipeline') as ipo_pipeline_30_ratio,
        max(filings_30_z) filter (where category = 'ipo_pipeline') as ipo_pipeline_30_z,
        max(filings_30) filter (where category = 'ipo_priced') as ipo_priced_30,
        max(filings_30) filter (where category = 'ipo_priced_likely_ipo')
            as ipo_priced_likely_ipo_30,
        max(filings_30_ratio) filter (where category = 'ipo_priced') as ipo_priced_30_ratio,
        max(filings_30) filter (where category = 'ipo_withdrawn') as ipo_withdrawn_30,
        max(filings_30) filter (where category = 'mna') as mna_30,
        max(filings_30_ratio) filter (where category = 'mna') as mna_30_ratio,
        max(filings_30_z) filter (where category = 'mna') as mna_30_z
    from marts.deal_flow_daily
    group by date
),

lined_up as (
    select
        sessions.date,
        rs_iwm_spy.ratio as iwm_spy_ratio,
        rs_iwm_spy.ratio_vs_ma50 as iwm_spy_vs_ma50,
        rs_iwm_spy.ratio_vs_ma200 as iwm_spy_vs_ma200,
        rs_iwm_spy.spread_20d as iwm_spy_spread_20d,
        rs_iwm_spy.spread_60d as iwm_spy_spread_60d,
        rs_iwm_spy.ytd_spread as iwm_spy_ytd_spread,
        rs_iwm_spy.streak as iwm_spy_streak,
        rs_rut_gspc.ratio as rut_gspc_ratio,
        rs_rut_gspc.ratio_vs_ma200 as rut_gspc_vs_ma200,
        rs_rut_gspc.spread_20d as rut_gspc_spread_20d,
        rs_rut_gspc.ytd_spread as rut_gspc_ytd_spread,
        pairs.pairs,
        iwm.ret_1d as iwm_ret_1d,
        iwm.mtd as iwm_mtd,
        iwm.ytd as iwm_ytd,
        iwm.ret_3m as iwm_ret_3m,
        iwm.ret_12m as iwm_ret_12m,
        spy.ret_1d as spy_ret_1d,
        spy.ytd as spy_ytd,
        spy.ret_3m as spy_ret_3m,
        spy.ret_12m as spy_ret_12m,
        iwm_risk.vol_63 as iwm_vol_63,
        iwm_risk.drawdown as iwm_drawdown,
        iwm_risk.max_drawdown as iwm_max_drawdown,
        iwm_spy_risk.corr_63 as iwm_spy_corr_63,
        iwm_spy_risk.beta_63 as iwm_spy_beta_63,
        deal_flow.date as deal_flow_date,
        deal_flow.ipo_pipeline_30,
        deal_flow.ipo_pipeline_30_ratio,
        deal_flow.ipo_pipeline_30_z,
        deal_flow.ipo_priced_30,
        deal_flow.ipo_priced_likely_ipo_30,
        deal_flow.ipo_priced_30_ratio,
        deal_flow.ipo_withdrawn_30,
        deal_flow.mna_30,
        deal_flow.mna_30_ratio,
        deal_flow.mna_30_z,
        ipo.priced_30d as ipo_calendar_priced_30d,
        ipo.proceeds_30d as ipo_proceeds_30d,
        ipo.proceeds_30d_ratio as ipo_proceeds_30d_ratio,
        ipo.filed_30d as ipo_calendar_filed_30d,
        ipo.withdrawn_30d as ipo_calendar_withdrawn_30d,
        macro.hy_spread_bp,
        macro.hy_spread_chg_1m_bp,
        macro.hy_spread_chg_3m_bp,
        macro.ig_spread_bp,
        macro.claims_4wk,
        macro.claims_4wk_vs_low_pct,
        macro.curve_10y2y,
        macro.yield_10y,
        macro.yield_2y,
        macro.fed_funds,
        macro.fed_funds_chg_3m,
        macro.fed_funds_chg_6m,
        macro.fed_cuts_12m,
        macro.nfci,
        macro.vix,
        macro.unemployment_rate
    from sessions
    left join rs_iwm_spy on sessions.date = rs_iwm_spy.date
    left join rs_rut_gspc on sessions.date = rs_rut_gspc.date
    left join pairs on sessions.date = pairs.date
    left join iwm on sessions.date = iwm.date
    left join spy on sessions.date = spy.date
    left join iwm_risk on sessions.date = iwm_risk.date
    left join iwm_spy_risk on sessions.date = iwm_spy_risk.date
    asof left join deal_flow on sessions.date >= deal_flow.date
    asof left join marts.ipo_flow_daily as ipo on sessions.date >= ipo.date
    asof left join marts.macro_daily as macro on sessions.date >= macro.date
)

select *
from lined_up
