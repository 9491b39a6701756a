-- Record one loaded snapshot; parameters in column order (fund ... run_id).
insert into raw.holdings_snapshots (
    fund, as_of, file, layout, as_of_from, shares_outstanding, lines_read, lines_loaded,
    equity_lines, equity_weight_pct, source, fetched_at, run_id
)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::timestamptz, $13)
on conflict (fund, as_of) do update
    set
        file = excluded.file,
        layout = excluded.layout,
        as_of_from = excluded.as_of_from,
        shares_outstanding = excluded.shares_outstanding,
        lines_read = excluded.lines_read,
        lines_loaded = excluded.lines_loaded,
        equity_lines = excluded.equity_lines,
        equity_weight_pct = excluded.equity_weight_pct,
        source = excluded.source,
        fetched_at = excluded.fetched_at,
        run_id = excluded.run_id
