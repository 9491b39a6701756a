-- Filing activity per ISO week (starting Monday) and category, from marts.deal_flow_daily.
-- sessions_read < sessions means some of the week's EDGAR indexes were not read.
-- grain: week_start, category
with weeks as (
    select
        date_trunc('week', date)::date as week_start,
        category,
        sum(filings) as filings,
        count(filings) as sessions_read,
        count(*) as sessions
    from marts.deal_flow_daily
    group by week_start, category
)

select *
from weeks
