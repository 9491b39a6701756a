-- After a kept build that held companies (transforms.isolation): forget their fingerprints,
-- so the next incremental build recomputes them and audits them again.
delete from ops.earnings_fingerprints
where list_contains($ciks, cik)
