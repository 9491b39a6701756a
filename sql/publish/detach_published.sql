-- Detaching writes and closes the new file before it is renamed into place
-- (noqa: sqlfluff's duckdb dialect does not parse DETACH).
detach published;  -- noqa: PRS
