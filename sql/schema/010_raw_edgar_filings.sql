-- Every filing line of the EDGAR index files, as the SEC listed it.
--
-- One filing (one accession number) is listed once per company it concerns: a 425 or an
-- SC 13D appears under the filer and under the subject company. The natural key is therefore
-- (accession, cik); counts of filings use count(distinct accession).
create table if not exists raw.edgar_filings (
    accession varchar not null,        -- 0001209191-20-000788, from the file name
    cik bigint not null,
    company_name varchar not null,
    form_type varchar not null,        -- as listed: S-1, S-1/A, 424B4, SC TO-T/A, ...
    date_filed date not null,
    file_name varchar not null,        -- edgar/data/<cik>/<accession>.txt
    index_file varchar not null,       -- master.20200103.idx, master.2020QTR1.idx, ...
    source varchar not null,           -- sec | replay:<folder>
    first_fetched_at timestamptz not null,
    fetched_at timestamptz not null,
    run_id varchar not null,
    primary key (accession, cik)
);

-- Which index files were read and what they held: a day with no filings in the marts is
-- either "EDGAR published no index" (status no_index, e.g. Columbus Day) or "not fetched".
create table if not exists raw.edgar_index_files (
    index_file varchar primary key,
    period_start date not null,
    period_end date not null,
    status varchar not null,           -- loaded | no_index | unrecognised
    rows bigint not null,
    url varchar not null,
    fetched_at timestamptz not null,
    run_id varchar not null
);
