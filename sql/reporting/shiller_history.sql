-- reporting/shiller_history: the S&P 500's trailing P/E and CAPE per month up to a day ($1),
-- with their percentiles (marts.shiller_context), for the long-run context panel.
with history as (
    select
        month as date,
        pe,
        pe_percentile,
        cape,
        cape_percentile
    from marts.shiller_context
    where month <= $1
)

select *
from history
order by date
