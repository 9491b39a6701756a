-- Record the answer for one (fund, month_end) of the holdings history backfill; parameters:
-- fund, month_end, status, reason, as_of, file, bytes, source, requested_at, run id.
insert into ops.holdings_history (
    fund, month_end, status, reason, as_of, file, bytes, source, requested_at, run_id
)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
on conflict (fund, month_end) do update
    set
        status = excluded.status,
        reason = excluded.reason,
        as_of = excluded.as_of,
        file = excluded.file,
        bytes = excluded.bytes,
        source = excluded.source,
        requested_at = excluded.requested_at,
        run_id = excluded.run_id
