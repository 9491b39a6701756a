-- The new published copy, in a storage version the DuckDB 1.x line can open
-- (noqa: sqlfluff's duckdb dialect does not parse ATTACH).
attach $path as published (storage_version $storage_version);  -- noqa: PRS
