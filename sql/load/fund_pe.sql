-- Upsert the funds' vendor P/E (registered as fund_pe_batch); parameters: fetched_at, run_id.
insert into raw.fund_pe (
    fund, as_of, reported_value, pe, reported_as, file, source, fetched_at, run_id
)
select
    fund,
    cast(as_of as date),
    reported_value,
    pe,
    reported_as,
    file,
    source,
    $1::timestamptz,
    $2
from fund_pe_batch
on conflict (fund, as_of) do update
    set
        reported_value = excluded.reported_value,
        pe = excluded.pe,
        reported_as = excluded.reported_as,
        file = excluded.file,
        source = excluded.source,
        fetched_at = excluded.fetched_at,
        run_id = excluded.run_id
