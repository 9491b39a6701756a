-- EDGAR filings with their deal-flow category and the NYSE session they count towards.
--
-- One row per (accession, cik) as in raw; count filings with count(distinct accession).
-- session_date is the first session on or after the filing date (a filing accepted on a
-- Saturday or Good Friday counts on the next session), NULL when no session follows within
-- 7 days (the filing predates the sessions loaded, or is newer than the last one). likely_ipo narrows 424B4: true when the
-- filer has no earlier periodic report (10-K, 10-Q, 20-F, 40-F) in the loaded history and that
-- history reaches a year back, false when it has one, null when the history is too short.
with filings as (
    select
        f.accession,
        f.cik,
        f.company_name,
        f.form_type,
        f.date_filed,
        f.index_file,
        coalesce(c.category, 'other') as category
    from raw.edgar_filings as f
    left join staging.edgar_form_categories as c on f.form_type = c.form_type
),

history as (
    select min(period_start) as history_start
    from raw.edgar_index_files
    where status in ('loaded', 'no_index')
),

periodic as (
    select
        cik,
        min(date_filed) as first_periodic
    from raw.edgar_filings
    where form_type in ('10-K', '10-K/A', '10-Q', '10-Q/A', '20-F', '20-F/A', '40-F', '40-F/A')
    group by cik
),

classified as (
    select
        filings.*,
        case
            when filings.form_type <> '424B4' then null
            when periodic.first_periodic < filings.date_filed then false
            when history.history_start <= filings.date_filed - interval 365 day then true
        end as likely_ipo
    from filings
    cross join history
    left join periodic on filings.cik = periodic.cik
),

sessions as (
    select date as session_date
    from staging.dashboard_sessions
),

placed as (
    select
        classified.*,
        case
            when sessions.session_date <= classified.date_filed + 7 then sessions.session_date
        end as session_date
    from classified
    asof left join sessions on classified.date_filed <= sessions.session_date
)

select
    accession,
    cik,
    company_name,
    form_type,
    category,
    likely_ipo,
    date_filed,
    session_date,
    index_file
from placed
