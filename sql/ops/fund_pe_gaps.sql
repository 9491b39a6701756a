-- ops/fund_pe_gaps: the funds whose vendor P/E on their latest quote session on or before
-- the run's session ($1) was compared with the built one, with the verdict. The caller
-- records an incident for each beyond_tolerance row and resolves the others.
with latest as (
    select
        fund,
        max(session) as session
    from marts.fund_pe_cross_check
    where session <= $1 and built_pe is not null
    group by fund
)

select
    c.fund,
    c.session,
    c.vendor_pe,
    c.reported_value,
    c.reported_as,
    c.built_pe,
    c.gap,
    c.tolerance,
    c.beyond_tolerance
from marts.fund_pe_cross_check as c
inner join latest as l on c.fund = l.fund and c.session = l.session
order by c.fund
