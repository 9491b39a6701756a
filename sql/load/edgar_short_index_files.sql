-- Daily EDGAR index files of a batch (registered as edgar_index_batch) whose row count is
-- implausibly low for their file_day: a download cut short parses as a valid, smaller index.
-- Parameters: $short_fraction (flag below this share of the median), $weekday_files (how many
-- files form the median), $min_known (fewer same-weekday files: the fallback), $min_any
-- (fewer files of any weekday either: no judgement).
--
-- The median is over the trailing same-weekday daily files with status 'loaded', stored or in
-- this batch (the first run reads ten days at once), excluding the file itself. With fewer
-- than $min_known of those (the first runs), it is over the nearest daily files of any weekday,
-- before or after, so the judgement works from the third file on. A re-read that
-- gives exactly the row count stored for a file already flagged 'short' is accepted: a cut
-- download does not stop at the same line twice, so that is what EDGAR published (a quiet
-- Christmas Eve). Returns (index_file, rows, median_rows, files, basis: weekday | any).
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

weekday_medians as (
    select
        index_file,
        any_value(rows) as rows,
        median(known_rows) as median_rows,
        count(*) as files,
        'weekday' as basis
    from same_weekday
    where steps_back <= $weekday_files
    group by index_file
    having count(*) >= $min_known
),

any_weekday as (
    select
        b.index_file,
        b.rows,
        k.rows as known_rows,
        row_number() over (
            partition by b.index_file
            order by abs(datediff('day', k.file_day, b.file_day)) asc, k.file_day desc
        ) as nearest
    from batch as b
    inner join known as k on b.file_day != k.file_day
),

any_medians as (
    select
        index_file,
        any_value(rows) as rows,
        median(known_rows) as median_rows,
        count(*) as files,
        'any' as basis
    from any_weekday
    where nearest <= $weekday_files
    group by index_file
    having count(*) >= $min_any
),

medians as (
    select
        index_file,
        rows,
        median_rows,
        files,
        basis
    from weekday_medians
    union all
    select
        a.index_file,
        a.rows,
        a.median_rows,
        a.files,
        a.basis
    from any_medians as a
    where a.index_file not in (select w.index_file from weekday_medians as w)
),

judged as (
    select
        index_file,
        rows,
        median_rows,
        files,
        basis,
        rows < $short_fraction * median_rows as looks_short
    from medians
)

select
    j.index_file,
    j.rows,
    j.median_rows,
    j.files,
    j.basis
from judged as j
left join raw.edgar_index_files as stored on j.index_file = stored.index_file
where
    j.looks_short
    and not coalesce(stored.status = 'short' and stored.rows = j.rows, false)
order by j.index_file
