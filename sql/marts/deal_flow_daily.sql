-- Filing activity per NYSE session and category, with its 30-session rolling count measured
-- against the trailing 252 sessions (ratio and z-score).
-- grain: date, category
--
-- filings is NULL on a session whose EDGAR index was not read (a gap is not a quiet day);
-- full windows only: filings_30 needs 30 read sessions, the baseline 252 earlier values of
-- filings_30. Counts are distinct accessions (a 425 listed under two companies counts once).
-- ipo_priced_likely_ipo counts the 424B4s staging.edgar_filings marks as likely IPOs.
with sessions as (
    select date
    from staging.dashboard_sessions
),

covered as (
    select distinct sessions.date
    from sessions
    inner join raw.edgar_index_files as f
        on sessions.date between f.period_start and f.period_end
    where f.status in ('loaded', 'no_index')
),

categories as (
    select distinct category from staging.edgar_form_categories
    union
    select 'other'
    union
    select 'ipo_priced_likely_ipo'
    union
    select 'all'
),

by_category as (
    select
        session_date,
        category,
        count(distinct accession) as filings
    from staging.edgar_filings
    where session_date is not null
    group by session_date, category
),

likely_ipos as (
    select
        session_date,
        'ipo_priced_likely_ipo' as category,
        count(distinct accession) as filings
    from staging.edgar_filings
    where session_date is not null and likely_ipo
    group by session_date
),

everything as (
    select
        session_date,
        'all' as category,
        count(distinct accession) as filings
    from staging.edgar_filings
    where session_date is not null
    group by session_date
),

counts as (
    select * from by_category
    union all
    select * from likely_ipos
    union all
    select * from everything
),

grid as (
    select
        sessions.date,
        categories.category,
        case when covered.date is not null then coalesce(counts.filings, 0) end as filings
    from sessions
    cross join categories
    left join covered on sessions.date = covered.date
    left join counts
        on sessions.date = counts.session_date and categories.category = counts.category
),

rolling as (
    select
        date,
        category,
        filings,
        case
            when count(filings) over w30 = 30 then sum(filings) over w30
        end as filings_30
    from grid
    window w30 as (partition by category order by date rows between 29 preceding and current row)
),

baseline as (
    select
        *,
        case
            when count(filings_30) over w252 = 252 then avg(filings_30) over w252
        end as filings_30_avg_252,
        case
            when count(filings_30) over w252 = 252 then stddev_samp(filings_30) over w252
        end as filings_30_sd_252
    from rolling
    window w252 as (
        partition by category order by date rows between 252 preceding and 1 preceding
    )
),

final as (
    select
        date,
        category,
        filings,
        filings_30,
        filings_30_avg_252,
        filings_30 / nullif(filings_30_avg_252, 0) as filings_30_ratio,
        (filings_30 - filings_30_avg_252) / nullif(filings_30_sd_252, 0) as filings_30_z
    from baseline
)

select *
from final
