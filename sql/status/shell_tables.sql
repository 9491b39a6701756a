-- The shell's .tables: every schema's tables and views, DuckDB's own catalogs left out.
select
    table_schema as schema,
    table_name as name,
    table_type as kind
from information_schema.tables
where table_schema not in ('main', 'pg_catalog')
order by schema, name
