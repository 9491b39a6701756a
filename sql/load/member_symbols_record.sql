-- Record one priced member; parameters: symbol, the run's session, delivered (boolean), run id.
insert into ops.member_symbols (symbol, first_requested, last_requested, last_delivered, run_id)
values ($1, $2, $2, case when $3 then $2 end, $4)
on conflict (symbol) do update
    set
        last_requested = excluded.last_requested,
        last_delivered = coalesce(excluded.last_delivered, ops.member_symbols.last_delivered),
        run_id = excluded.run_id
