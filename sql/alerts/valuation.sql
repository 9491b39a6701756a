-- alerts/valuation: candidate rows of the valuation rules (docs/fundamentals.md).
--
-- Indicators ($indicator) and their subjects:
--   discount, discount_ex_losses, growth_gap   per pair of marts.valuation_gap (IWM/IVV,
--       IWM/IWB): small-cap P/E / large-cap P/E - 1 (with and without loss-makers), and
--       small-cap minus large-cap earnings growth.
--   pe, pe_ex_losses, loss_share_weight   per fund of marts.fund_valuation.
--   loss_share_weight_chg_1y   per fund: loss_share_weight minus its value on the last
--       session at least 365 days earlier (NULL until a year is stored: a rise needs a base).
--   fund_pe_gap_beyond   per fund of marts.fund_pe_cross_check: 1 when the vendor's P/E is
--       beyond [valuation] pe_tolerance from the built one on that quote session, 0 within it
--       (no row when the built P/E was withheld: nothing was compared).
-- Figures withheld for low coverage are NULL and never cross a threshold.
--
-- Parameters (named; alerts/queries.py binds them): $subject (the subject the rule watches,
-- or * for every subject of the family), $indicator (the column to watch, validated in
-- alerts/rules.py), $start and $end (the sessions to return, inclusive).
-- Returns (subject, date, value); sql/alerts/crossings.sql turns them into breached/cleared.
with pair_series as (
    select
        pair as subject,
        session as date,
        case $indicator
            when 'discount' then discount
            when 'discount_ex_losses' then discount_ex_losses
            when 'growth_gap' then growth_gap
        end as value
    from marts.valuation_gap
    where $indicator in ('discount', 'discount_ex_losses', 'growth_gap')
),

valuation_rows as (
    select
        fund,
        session,
        pe,
        pe_ex_losses,
        loss_share_weight
    from marts.fund_valuation
    where $indicator in ('pe', 'pe_ex_losses', 'loss_share_weight', 'loss_share_weight_chg_1y')
),

fund_history as (
    -- a year earlier by date, not by row: backfilled history is monthly, recent history daily
    select
        v.fund,
        v.session,
        v.pe,
        v.pe_ex_losses,
        v.loss_share_weight,
        v.loss_share_weight - b.loss_share_weight as loss_share_weight_chg_1y
    from valuation_rows as v
    asof left join valuation_rows as b
        on
            v.fund = b.fund
            and v.session - interval 365 day >= b.session
),

fund_series as (
    select
        fund as subject,
        session as date,
        case $indicator
            when 'pe' then pe
            when 'pe_ex_losses' then pe_ex_losses
            when 'loss_share_weight' then loss_share_weight
            when 'loss_share_weight_chg_1y' then loss_share_weight_chg_1y
        end as value
    from fund_history
),

cross_check as (
    select
        fund as subject,
        session as date,
        cast(beyond_tolerance as double) as value
    from marts.fund_pe_cross_check
    where $indicator = 'fund_pe_gap_beyond' and built_pe is not null
),

series as (
    select * from pair_series
    union all
    select * from fund_series
    union all
    select * from cross_check
)

select
    subject,
    date,
    value
from series
where
    value is not null
    and ($subject = '*' or subject = $subject)
    and date between $start and $end
