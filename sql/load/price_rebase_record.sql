-- One re-basing of stored adjusted closes (ops.price_rebases): which rows, by what factor.
insert into ops.price_rebases (
    run_id, symbol, factor, rows_rebased, overlap_rows, overlap_ratio_spread, side, boundary_date
)
values ($run_id, $symbol, $factor, $rows, $overlap_rows, $spread, $side, $boundary)
