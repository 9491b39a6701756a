-- Whether $1.$2 is a table macro now (a parameterised model).
select 'macro' as kind
from duckdb_functions()
where schema_name = $1 and function_name = $2 and function_type = 'table_macro'
