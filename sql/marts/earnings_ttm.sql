-- Trailing-twelve-month earnings per company, point-in-time: one row per company and day on
-- which what was known about it changed (a filing date), valid until the next such day.
-- grain: cik, known_from
--
-- Rules (docs/fundamentals.md):
-- * A fact is usable from its filed date, never before. On each version day the value of a
--   period is the one from the latest filing on or before that day: a restatement replaces
--   the old value from its own filing date, history before it keeps the old value. Within one
--   filing the preferred concept of the metric wins (priority: diluted EPS before basic, ...).
-- * Only periodic reports count (10-K, 10-Q and their amendments and transition reports).
-- * Quarters: periods of 80-100 days as reported. Companies do not report fiscal Q4 alone:
--   it is derived as the full year (350-380 days) minus the nine months (260-290 days) that
--   start on the same day; a reported quarter with the same end wins over a derived one.
--   Fiscal years ending in any month work the same way (Snowflake's ends 31 January).
-- * TTM = the sum of the latest four quarters, only when they span one year (350-380 days
--   from the first start to the last end); the previous TTM is quarters five to eight, only
--   when it ends 350-380 days before the current one. Otherwise NULL, never a guess.
-- * Only periods ending in the 800 days before a version day are looked at: eight quarters
--   (this TTM and the year before) end within about 730 days of the latest, and the
--   restriction keeps the version x fact join linear in history (benchmarks/fundamentals_marts.py).
-- * EPS TTM is the sum of quarterly EPS (a derived Q4 EPS is FY EPS minus nine-month EPS,
--   an approximation when the share count moved during the year).
with facts as (
    select
        cik,
        metric,
        priority,
        period_start,
        period_end,
        value,
        accession,
        filed,
        datediff('day', period_start, period_end) + 1 as days
    from raw.xbrl_facts
    where
        not is_instant
        and metric in ('net_income', 'eps', 'revenue')
        and form in ('10-K', '10-Q', '10-K/A', '10-Q/A', '10-KT', '10-QT')
        -- quarters, nine months and years: the only durations used below (half-year
        -- year-to-date figures in Q2 reports are not)
        and (
            datediff('day', period_start, period_end) + 1 between 80 and 100
            or datediff('day', period_start, period_end) + 1 between 260 and 290
            or datediff('day', period_start, period_end) + 1 between 350 and 380
        )
),

versions as (
    select distinct
        cik,
        filed as known_from
    from facts
),

-- One value per period and filing day: the preferred concept of that filing.
filed_values as (
    select
        cik,
        metric,
        period_start,
        period_end,
        days,
        value,
        filed
    from facts
    qualify row_number() over (
        partition by cik, metric, period_start, period_end, filed
        order by priority asc, accession desc
    ) = 1
),

-- Each value is valid from its filing day until the period is reported again: a restatement
-- ends the old value's validity on its own filing day.
fact_versions as (
    select
        cik,
        metric,
        period_start,
        period_end,
        days,
        value,
        filed as valid_from,
        lead(filed) over (
            partition by cik, metric, period_start, period_end order by filed
        ) as valid_until
    from filed_values
),

-- What was known on each version day. The join is bucketed by year so each version day only
-- meets the facts of its own and the three previous years (the 800-day window below), which
-- keeps the join linear in the length of a company's history.
version_buckets as (
    select
        cik,
        known_from,
        year(known_from) as bucket
    from versions
),

fact_buckets as (
    select
        f.*,
        year(f.period_end) + b.k as bucket
    from fact_versions as f
    cross join range(0, 4) as b (k)
),

known as (
    select
        v.cik,
        v.known_from,
        f.metric,
        f.period_start,
        f.period_end,
        f.days,
        f.value
    from version_buckets as v
    inner join fact_buckets as f
        on
            v.cik = f.cik
            and v.bucket = f.bucket
            and v.known_from >= f.valid_from
            and (f.valid_until is null or v.known_from < f.valid_until)
            and f.period_end > v.known_from - interval 800 day
),

reported_quarters as (
    select
        cik,
        known_from,
        metric,
        period_start,
        period_end,
        value
    from known
    where days between 80 and 100
),

derived_q4 as (
    select
        fy.cik,
        fy.known_from,
        fy.metric,
        nine.period_end + 1 as period_start,
        fy.period_end,
        fy.value - nine.value as value
    from known as fy
    inner join known as nine
        on
            fy.cik = nine.cik
            and fy.known_from = nine.known_from
            and fy.metric = nine.metric
            and fy.period_start = nine.period_start
    where fy.days between 350 and 380 and nine.days between 260 and 290
),

quarters as (
    select
        cik,
        known_from,
        metric,
        period_start,
        period_end,
        value,
        false as derived
    from reported_quarters
    union all
    select
        d.cik,
        d.known_from,
        d.metric,
        d.period_start,
        d.period_end,
        d.value,
        true as derived
    from derived_q4 as d
    anti join reported_quarters as r
        on
            d.cik = r.cik
            and d.known_from = r.known_from
            and d.metric = r.metric
            and d.period_end = r.period_end
),

numbered as (
    select
        cik,
        known_from,
        metric,
        period_start,
        period_end,
        value,
        derived,
        row_number() over (
            partition by cik, known_from, metric order by period_end desc, period_start desc
        ) as n
    from quarters
),

rolling as (
    select
        cik,
        known_from,
        metric,
        sum(value) filter (where n <= 4) as ttm,
        count(*) filter (where n <= 4) as quarters_now,
        min(period_start) filter (where n <= 4) as start_now,
        max(period_end) filter (where n = 1) as end_now,
        bool_or(derived) filter (where n <= 4) as uses_derived_q4,
        sum(value) filter (where n between 5 and 8) as ttm_prev,
        count(*) filter (where n between 5 and 8) as quarters_prev,
        min(period_start) filter (where n between 5 and 8) as start_prev,
        max(period_end) filter (where n = 5) as end_prev
    from numbered
    where n <= 8
    group by cik, known_from, metric
),

checked as (
    select
        cik,
        known_from,
        metric,
        end_now,
        uses_derived_q4,
        case
            when
                quarters_now = 4
                and datediff('day', start_now, end_now) + 1 between 350 and 380
                then ttm
        end as ttm,
        case
            when
                quarters_prev = 4
                and datediff('day', start_prev, end_prev) + 1 between 350 and 380
                and datediff('day', end_prev, end_now) between 350 and 380
                then ttm_prev
        end as ttm_prev
    from rolling
),

wide as (
    select
        v.cik,
        v.known_from,
        max(c.ttm) filter (where c.metric = 'net_income') as net_income_ttm,
        max(c.ttm_prev) filter (where c.metric = 'net_income') as net_income_ttm_prev,
        max(c.end_now) filter (where c.metric = 'net_income') as net_income_end,
        max(c.ttm) filter (where c.metric = 'eps') as eps_ttm,
        max(c.ttm_prev) filter (where c.metric = 'eps') as eps_ttm_prev,
        max(c.end_now) filter (where c.metric = 'eps') as eps_end,
        max(c.ttm) filter (where c.metric = 'revenue') as revenue_ttm,
        max(c.ttm_prev) filter (where c.metric = 'revenue') as revenue_ttm_prev,
        coalesce(bool_or(c.uses_derived_q4), false) as uses_derived_q4
    from versions as v
    left join checked as c on v.cik = c.cik and v.known_from = c.known_from
    group by v.cik, v.known_from
)

select
    cik,
    known_from,
    lead(known_from) over (partition by cik order by known_from) as known_until,
    net_income_ttm,
    net_income_ttm_prev,
    net_income_end,
    eps_ttm,
    eps_ttm_prev,
    eps_end,
    revenue_ttm,
    revenue_ttm_prev,
    uses_derived_q4
from wide
