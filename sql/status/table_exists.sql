-- 1 when table (or view) $1.$2 exists: the status screen shows only what is built.
select count(*)
from information_schema.tables
where table_schema = $1 and table_name = $2
