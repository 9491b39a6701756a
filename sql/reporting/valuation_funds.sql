-- reporting/valuation_funds: each fund's valuation figures per charted session
-- (marts.fund_valuation; withheld figures are NULL, coverage always shows).
-- Parameters: $1 start, $2 end (inclusive dates).
with window_rows as (
    select
        fund,
        session as date,
        holdings_as_of,
        coverage,
        pe,
        pe_ex_losses,
        loss_share_count,
        loss_share_weight,
        earnings_growth
    from marts.fund_valuation
    where session between $1 and $2
)

select *
from window_rows
order by fund, date
