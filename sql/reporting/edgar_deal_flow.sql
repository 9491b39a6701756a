-- reporting/edgar_deal_flow: EDGAR filings per session read, by month and category, against
-- the average of the months read in the 12 before it.
--
-- Per session read, not per month: a month whose indexes were only partly read (a gap, a
-- throttled fetch) must not look like a quiet month. Months with no session read are left
-- out (unknown, not zero). Every month read is returned (few rows): the report picks its
-- window and names the latest month read.
with months as (
    select
        month_start,
        category,
        filings,
        sessions_read,
        sessions,
        filings / sessions_read as per_session
    from marts.deal_flow_monthly
    where
        sessions_read > 0
        and category in ('ipo_pipeline', 'ipo_priced_likely_ipo', 'mna')
),

averaged as (
    select
        *,
        avg(per_session) over (
            partition by category
            order by month_start
            range between interval '12 months' preceding and interval '1 month' preceding
        ) as per_session_avg_12m
    from months
)

select *
from averaged
order by category, month_start
