-- The latest date of stored vendor fund P/E quotes.
select max(as_of) from raw.fund_pe
