-- Type and check the fields of EDGAR index lines (registered as edgar_index_fields: varchar
-- cik, company_name, form_type, date_filed, file_name, in file order), one row out per row in,
-- in the same order; reason is null for a good row. Run by sources/edgar.py's parser in DuckDB
-- because pandas string methods run per element in Python (see benchmarks/edgar_parse.py).
-- Fields are trimmed of spaces and tabs only when they have them: trim() on every value made
-- the parse markedly slower.
with fields as (
    select
        case
            when starts_with(cik, ' ') or ends_with(cik, ' ') or contains(cik, chr(9))
                then trim(cik, ' ' || chr(9))
            else cik
        end as cik,
        case
            when
                starts_with(company_name, ' ')
                or ends_with(company_name, ' ')
                or contains(company_name, chr(9))
                then trim(company_name, ' ' || chr(9))
            else company_name
        end as company_name,
        case
            when
                starts_with(form_type, ' ')
                or ends_with(form_type, ' ')
                or contains(form_type, chr(9))
                then trim(form_type, ' ' || chr(9))
            else form_type
        end as form_type,
        case
            when
                starts_with(date_filed, ' ')
                or ends_with(date_filed, ' ')
                or contains(date_filed, chr(9))
                then trim(date_filed, ' ' || chr(9))
            else date_filed
        end as date_filed,
        case
            when
                starts_with(file_name, ' ')
                or ends_with(file_name, ' ')
                or contains(file_name, chr(9))
                then trim(file_name, ' ' || chr(9))
            else file_name
        end as file_name
    from edgar_index_fields
),

typed as (
    select
        cik,
        company_name,
        form_type,
        date_filed,
        file_name,
        regexp_extract(
            file_name, '^edgar/data/\d{1,10}/(\d{10}-\d{2}-\d{6})\.txt$', 1
        ) as accession,
        regexp_full_match(cik, '\d{1,10}') as cik_ok,
        case
            when regexp_full_match(date_filed, '\d{8}')
                then try_strptime(date_filed, '%Y%m%d')
            when regexp_full_match(date_filed, '\d{4}-\d{2}-\d{2}')
                then try_strptime(date_filed, '%Y-%m-%d')
        end as filed
    from fields
)

select
    accession,
    company_name,
    form_type,
    file_name,
    case when cik_ok then cast(cik as bigint) end as cik,
    cast(filed as date) as date_filed,
    case
        when accession = '' then 'file name is not edgar/data/<CIK>/<accession>.txt'
        when filed is null then 'date filed is not YYYYMMDD or YYYY-MM-DD'
        when not cik_ok then 'CIK is not a number'
    end as reason
from typed
