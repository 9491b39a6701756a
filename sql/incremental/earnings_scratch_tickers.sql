-- The scratch build's ticker -> CIK rows: those of the companies $ciks (how the model finds
-- the price vendor's split events of each company).
create table scratch_earnings.raw.sec_company_tickers as
select *
from raw.sec_company_tickers
where cik in (select unnest($ciks))
