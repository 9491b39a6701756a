-- 1 when table (or view) $1.$2 exists: readers show, and builds touch, only what is built.
select count(*)
from information_schema.tables
where table_schema = $1 and table_name = $2
