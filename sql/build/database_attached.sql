-- 1 when a database named $1 is attached (the scratch database of an incremental build).
select 1
from duckdb_databases()
where database_name = $1
