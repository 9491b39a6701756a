-- Upsert one batch of EDGAR index rows (registered as edgar_batch); parameters: fetched_at, run_id.
-- A merge rather than insert ... on conflict do update: same result, one statement, and
-- measurably cheaper on a quarter-sized backfill (benchmarks/edgar_parse.py). A stored filing
-- is rewritten only when what the SEC lists for it changed (the same filing read again from
-- the next day's window or from a quarterly index is not a change), so the statement's row
-- count is the number of filings new or really changed.
merge into raw.edgar_filings as t
using edgar_batch as b
    on t.accession = b.accession and t.cik = b.cik
when matched
and (t.company_name, t.form_type, t.date_filed, t.file_name)
is distinct from (b.company_name, b.form_type, cast(b.date_filed as date), b.file_name)
then
    update
        set
            company_name = b.company_name,
            form_type = b.form_type,
            date_filed = cast(b.date_filed as date),
            file_name = b.file_name,
            index_file = b.index_file,
            source = b.source,
            fetched_at = $1::timestamptz,
            run_id = $2
when not matched then insert (
    accession, cik, company_name, form_type, date_filed, file_name, index_file,
    source, first_fetched_at, fetched_at, run_id
) values (
    b.accession,
    b.cik,
    b.company_name,
    b.form_type,
    cast(b.date_filed as date),
    b.file_name,
    b.index_file,
    b.source,
    $1::timestamptz,
    $1::timestamptz,
    $2
)
