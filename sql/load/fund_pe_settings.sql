-- Sync [valuation] pe_tolerance into the table the cross-check mart reads; parameter: it.
update ops.fund_pe_settings
set tolerance = $1
where id = 1
