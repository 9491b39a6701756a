-- Upsert one batch of EDGAR index rows (registered as edgar_batch); parameters: fetched_at, run_id.
insert into raw.edgar_filings (
    accession, cik, company_name, form_type, date_filed, file_name, index_file,
    source, first_fetched_at, fetched_at, run_id
)
select
    accession,
    cik,
    company_name,
    form_type,
    cast(date_filed as date),
    file_name,
    index_file,
    source,
    $1::timestamptz,
    $1::timestamptz,
    $2
from edgar_batch
on conflict (accession, cik) do update set
    company_name = excluded.company_name,
    form_type = excluded.form_type,
    date_filed = excluded.date_filed,
    file_name = excluded.file_name,
    index_file = excluded.index_file,
    source = excluded.source,
    fetched_at = excluded.fetched_at,
    run_id = excluded.run_id
