-- The newest stored price of the configured symbols ($1, a list): what status --check
-- judges the freshness of the published data by.
select max(date) as latest
from raw.prices
where list_contains($1, symbol)
