-- Daily EDGAR index files of a batch (registered as edgar_index_batch) whose row count is
-- implausibly low for their file_day: a download cut short parses as a valid, smaller index.
-- Parameters: $short_fraction (flag below this share of the median), $weekday_files (how many
-- earlier files of the same weekday form the median), $min_known (fewer known: no judgement).
--
-- The median is over the trailing same-weekday daily files with status 'loaded', stored or in
-- this batch (the first run reads ten days at once), excluding the file itself. A re-read that
-- gives exactly the row count stored for a file already flagged 'short' is accepted: a cut
-- download does not stop at the same line twice, so that is what EDGAR published (a quiet
-- Christmas Eve). Returns (index_file, rows, median_rows, files).
with batch as (
    select
        index_file,
        rows,
        cast(period_start as date) as file_day
    from edgar_index_batch
    where status = 'loaded' and period_start = period_end
),

known as (
    select
        cast(period_start as date) as file_day,
        rows
    from raw.edgar_index_files
    where
        status = 'loaded'
        and period_start = period_end
        and index_file not in (select b.index_file from batch as b)
    union all
    select
        file_day,
        rows
    from batch
),

same_weekday as (
    select
        b.index_file,
        b.rows,
        k.rows as known_rows,
        row_number() over (partition by b.index_file order by k.file_day desc) as steps_back
    from batch as b
    inner join known as k
        on dayofweek(b.file_day) = dayofweek(k.file_day) and b.file_day > k.file_day
),

medians as (
    select
        index_file,
        any_value(rows) as rows,
        median(known_rows) as median_rows,
        count(*) as files
    from same_weekday
    where steps_back <= $weekday_files
    group by index_file
),

judged as (
    select
        index_file,
        rows,
        median_rows,
        files,
        files >= $min_known and rows < $short_fraction * median_rows as looks_short
    from medians
)

select
    j.index_file,
    j.rows,
    j.median_rows,
    j.files
from judged as j
left join raw.edgar_index_files as stored on j.index_file = stored.index_file
where
    j.looks_short
    and not coalesce(stored.status = 'short' and stored.rows = j.rows, false)
order by j.index_file
