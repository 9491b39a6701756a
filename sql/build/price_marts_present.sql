-- How many of the relations $1 (qualified names: staging.prices and the price marts) exist;
-- an incremental build needs all of them.
select count(*)
from information_schema.tables
where table_schema || '.' || table_name = any($1)
