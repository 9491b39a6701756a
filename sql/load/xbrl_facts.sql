-- Upsert validated XBRL facts (registered as facts_batch); parameters: fetched_at, run_id.
-- A filing's facts never change, so a known fact only has its fetch bookkeeping refreshed.
insert into raw.xbrl_facts (
    cik, metric, priority, taxonomy, concept, unit, period_start, period_end, is_instant,
    value, accession, fiscal_year, fiscal_period, form, filed, frame, file, source,
    first_fetched_at, fetched_at, run_id
)
select
    cik,
    metric,
    priority,
    taxonomy,
    concept,
    unit,
    cast(period_start as date),
    cast(period_end as date),
    is_instant,
    value,
    accession,
    fiscal_year,
    fiscal_period,
    form,
    cast(filed as date),
    frame,
    file,
    source,
    $1::timestamptz,
    $1::timestamptz,
    $2
from facts_batch
on conflict (cik, taxonomy, concept, unit, period_start, period_end, accession) do update
    set
        value = excluded.value,
        file = excluded.file,
        source = excluded.source,
        fetched_at = excluded.fetched_at,
        run_id = excluded.run_id
