-- Drop the stored pairs no longer configured ($1: the configured pair names).
delete from ops.pairs
where not list_contains($1, pair)
