-- Sync [xbrl] coverage_floor into the table the valuation marts read; parameter: the floor.
update ops.valuation_settings
set coverage_floor = $1
where id = 1
