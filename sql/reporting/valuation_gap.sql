-- reporting/valuation_gap: the small-vs-large discount and growth gap per charted session
-- (marts.valuation_gap). Parameters: $1 start, $2 end (inclusive dates).
with window_rows as (
    select
        pair,
        session as date,
        discount,
        discount_ex_losses,
        growth_gap
    from marts.valuation_gap
    where session between $1 and $2
)

select *
from window_rows
order by pair, date
