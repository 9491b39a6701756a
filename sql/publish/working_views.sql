-- The working database's views, which the published copy stores as tables (their rows at
-- publish time): DuckDB 2.0 writes a view using lag(x, n) or lead(x, n) into an older storage
-- version in a form DuckDB 1.5.6 cannot bind ("LAG needs 1 parameter, got 2").
select
    schema_name,
    view_name
from duckdb_views()
where database_name = 'working' and not internal
order by schema_name, view_name
