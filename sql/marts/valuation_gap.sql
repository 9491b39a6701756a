-- Small caps against large caps per session: the valuation discount and the growth gap.
-- grain: session, pair
--
-- discount = P/E of the small-cap fund / P/E of the large-cap fund - 1 (negative: small caps
-- are cheaper); growth_gap = small-cap earnings growth - large-cap earnings growth. The pairs
-- are the fund proxies of the indices: IWM (Russell 2000) against IVV (S&P 500) and against
-- IWB (Russell 1000). A side whose figure was withheld for low coverage gives NULL here too.
with fund_pairs as (
    select *
    from (values ('IWM', 'IVV'), ('IWM', 'IWB')) as p (small, large)
),

valuation as (
    select
        session,
        fund,
        pe,
        pe_ex_losses,
        earnings_growth
    from marts.fund_valuation
)

select
    s.session,
    p.small || '/' || p.large as pair,
    s.pe as small_pe,
    l.pe as large_pe,
    s.pe / l.pe - 1 as discount,
    s.pe_ex_losses / l.pe_ex_losses - 1 as discount_ex_losses,
    s.earnings_growth as small_growth,
    l.earnings_growth as large_growth,
    s.earnings_growth - l.earnings_growth as growth_gap
from fund_pairs as p
inner join valuation as s on p.small = s.fund
inner join valuation as l on p.large = l.fund and s.session = l.session
