-- Filing activity per calendar month and category, from marts.deal_flow_daily.
-- sessions_read < sessions means some of the month's EDGAR indexes were not read.
-- grain: month_start, category
with months as (
    select
        date_trunc('month', date)::date as month_start,
        category,
        sum(filings) as filings,
        count(filings) as sessions_read,
        count(*) as sessions
    from marts.deal_flow_daily
    group by month_start, category
)

select *
from months
