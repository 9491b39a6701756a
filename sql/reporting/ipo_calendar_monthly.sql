-- reporting/ipo_calendar_monthly: IPOs priced on the Nasdaq calendar per month read, and the
-- average of the months read in the 12 before it.
--
-- Only months whose calendar was read (calendar_month of marts.ipo_calendar) get a value: a
-- month never read is unknown, not a month without IPOs. Every month read is returned; the
-- report picks its window.
with read_months as (
    select distinct strptime(calendar_month || '-01', '%Y-%m-%d')::date as month_start
    from marts.ipo_calendar
),

priced as (
    select
        date_trunc('month', priced_date)::date as month_start,
        count(*) as priced,
        sum(proceeds) as proceeds
    from marts.ipo_calendar
    where status = 'priced' and priced_date is not null
    group by month_start
),

monthly as (
    select
        read_months.month_start,
        coalesce(priced.priced, 0) as priced,
        coalesce(priced.proceeds, 0) as proceeds
    from read_months
    left join priced on read_months.month_start = priced.month_start
),

averaged as (
    select
        *,
        avg(priced) over (
            order by month_start
            range between interval '12 months' preceding and interval '1 month' preceding
        ) as priced_avg_12m
    from monthly
)

select *
from averaged
order by month_start
