-- The working database, read-only: the publisher only reads it (the run holds the writer lock).
-- (noqa: sqlfluff's duckdb dialect does not parse ATTACH, DETACH or COPY FROM DATABASE.)
attach $path as working (read_only);  -- noqa: PRS
