-- marts.earnings_ttm: every row of the companies the scratch build recomputed (a company now
-- gone keeps none).
delete from marts.earnings_ttm
where cik in (select unnest($ciks))
