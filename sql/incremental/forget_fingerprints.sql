-- After a kept build that held symbols (transforms.isolation): forget their fingerprints, so
-- the next incremental build sees them as new, recomputes them in full and audits them again.
delete from ops.price_fingerprints
where list_contains($symbols, symbol)
