-- Record one priced member; parameters: symbol, the run's session, delivered (boolean), run id.
-- A backfill of older sessions never moves the dates back (greatest ignores nulls).
insert into ops.member_symbols (symbol, first_requested, last_requested, last_delivered, run_id)
values ($1, $2, $2, case when $3 then $2 end, $4)
on conflict (symbol) do update
    set
        first_requested = least(excluded.first_requested, ops.member_symbols.first_requested),
        last_requested = greatest(excluded.last_requested, ops.member_symbols.last_requested),
        last_delivered = greatest(excluded.last_delivered, ops.member_symbols.last_delivered),
        run_id = excluded.run_id
