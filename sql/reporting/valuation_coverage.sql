-- Per fund, on its latest session: members and weight by earnings status (usable, no CIK,
-- no filings, withheld: <class>, stale, no price), with an example reason; `rotation status`.
select
    fund,
    session,
    status,
    members,
    weight,
    reason
from marts.valuation_coverage
order by fund asc, status = 'usable' desc, weight desc
