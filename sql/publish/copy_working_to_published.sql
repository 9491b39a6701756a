-- Every schema, table (rows and constraints), view and macro of the working database
-- (noqa: sqlfluff's duckdb dialect does not parse COPY FROM DATABASE).
copy from database working to published;  -- noqa: PRS
