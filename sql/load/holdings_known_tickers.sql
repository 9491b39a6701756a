-- The SEC's tickers (vendor form, BRK-B): the holdings parser maps class shares onto them.
select ticker
from raw.sec_company_tickers
