-- Sync [breadth] benchmark into the table the breadth marts read; parameter: the symbol.
update ops.breadth_settings
set benchmark = $1
where id = 1
