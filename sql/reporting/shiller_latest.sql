-- reporting/shiller_latest: the S&P 500's latest trailing P/E and CAPE on or before a day
-- ($1), each with its month and its percentile in its own history (marts.shiller_context).
with latest_pe as (
    select
        month as pe_month,
        pe,
        pe_percentile,
        pe_months
    from marts.shiller_context
    where pe is not null and month <= $1
    order by month desc
    limit 1
),

latest_cape as (
    select
        month as cape_month,
        cape,
        cape_percentile,
        cape_months
    from marts.shiller_context
    where cape is not null and month <= $1
    order by month desc
    limit 1
)

select
    p.pe_month,
    p.pe,
    p.pe_percentile,
    p.pe_months,
    c.cape_month,
    c.cape,
    c.cape_percentile,
    c.cape_months
from latest_pe as p
full outer join latest_cape as c on true
