-- Record the companies asked for in this fetch (registered as fetch_batch);
-- parameters: fetched_at, run_id.
insert into raw.xbrl_fetches (cik, status, entity_name, facts, message, fetched_at, run_id)
select
    cik,
    status,
    entity_name,
    facts,
    message,
    $1::timestamptz,
    $2
from fetch_batch
on conflict (cik) do update
    set
        status = excluded.status,
        entity_name = excluded.entity_name,
        facts = excluded.facts,
        message = excluded.message,
        fetched_at = excluded.fetched_at,
        run_id = excluded.run_id
