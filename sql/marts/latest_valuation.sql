-- One row per fund: its valuation figures on its latest session (what `rotation status`
-- shows), with the small-vs-large discount and growth gap against IVV where the fund is IWM.
-- grain: fund
with latest as (
    select
        fund,
        max(session) as session
    from marts.fund_valuation
    group by fund
),

valuation as (
    select v.*
    from marts.fund_valuation as v
    inner join latest as l on v.fund = l.fund and v.session = l.session
),

gap as (
    select
        pair,
        session,
        discount,
        growth_gap
    from marts.valuation_gap
)

select
    v.fund,
    v.session,
    v.holdings_as_of,
    v.members,
    v.coverage,
    v.pe,
    v.pe_ex_losses,
    v.loss_share_count,
    v.loss_share_weight,
    v.earnings_growth,
    v.median_earnings_growth,
    g.discount as discount_vs_ivv,
    g.growth_gap as growth_gap_vs_ivv
from valuation as v
left join gap as g on v.fund || '/IVV' = g.pair and v.session = g.session
