-- One judgement of a seam between a new download and the stored history (ops.price_seams).
insert into ops.price_seams (
    run_id, symbol, overlap_rows, basis_steps, stored_breaks, batch_breaks, decision, factor,
    evidence
)
values (
    $run_id, $symbol, $overlap_rows, $basis_steps, $stored_breaks, $batch_breaks, $decision,
    $factor, $evidence
)
