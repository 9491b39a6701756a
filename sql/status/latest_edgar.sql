-- The latest filing date of stored EDGAR filings.
select max(date_filed) from raw.edgar_filings
