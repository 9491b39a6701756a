-- The latest date any stored IPO was filed, priced or withdrawn.
select max(greatest(filed_date, priced_date, withdrawn_date)) from raw.nasdaq_ipos
