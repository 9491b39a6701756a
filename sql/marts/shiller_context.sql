-- The S&P 500's trailing P/E and CAPE per month, each with its percentile in its own history.
-- grain: month
--
-- pe = price / earnings (Shiller's trailing 12-month earnings; NULL when not yet published
-- or not positive). The percentiles are expanding, point-in-time: the share of months from
-- the start of the series up to and including this one whose value is at or below this
-- month's (1.0 = the highest on record so far). The whole-history view of today is the last
-- row's. Months before a value exists do not count.
with months as (
    select
        month,
        price,
        earnings,
        case when earnings > 0 then price / earnings end as pe,
        cape
    from raw.shiller_monthly
),

pe_ranks as (
    select
        m.month,
        count(*) filter (where h.pe <= m.pe) / count(*) as pe_percentile,
        count(*) as pe_months
    from months as m
    inner join months as h on m.month >= h.month and h.pe is not null
    where m.pe is not null
    group by m.month
),

cape_ranks as (
    select
        m.month,
        count(*) filter (where h.cape <= m.cape) / count(*) as cape_percentile,
        count(*) as cape_months
    from months as m
    inner join months as h on m.month >= h.month and h.cape is not null
    where m.cape is not null
    group by m.month
)

select
    m.month,
    m.price,
    m.earnings,
    m.pe,
    p.pe_percentile,
    p.pe_months,
    m.cape,
    c.cape_percentile,
    c.cape_months
from months as m
left join pe_ranks as p on m.month = p.month
left join cape_ranks as c on m.month = c.month
