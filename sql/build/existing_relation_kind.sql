-- What $1.$2 is now, if a table or view: a model that changed kind must drop the old object.
select case table_type when 'VIEW' then 'view' else 'table' end as kind
from information_schema.tables
where table_schema = $1 and table_name = $2
