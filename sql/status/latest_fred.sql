-- The latest observation date of the FRED series downloaded.
select max(last_date) from raw.fred_downloads
