-- Sync [valuation] history_start_year into the table the valuation marts read; parameter: the
-- first day of that year.
update ops.valuation_history
set history_start = $1
where id = 1
