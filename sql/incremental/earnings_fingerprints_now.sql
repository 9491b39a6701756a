-- The per-company fingerprints of what marts.earnings_ttm reads, now (the layout of
-- ops.earnings_fingerprints): its raw.xbrl_facts rows (every column but the fetch bookkeeping
-- file, source, first_fetched_at, fetched_at, run_id, which a re-fetch rewrites) and the
-- price vendor's split events of its tickers.
with facts as (
    select
        cik,
        count(*) as facts,
        sum(
            cast(
                hash(
                    metric, priority, taxonomy, concept, unit, period_start, period_end,
                    is_instant, value, accession, fiscal_year, fiscal_period, form, filed, frame
                ) as hugeint
            )
        ) as facts_checksum
    from raw.xbrl_facts
    group by cik
),

splits as (
    select
        t.cik,
        count(*) as splits,
        sum(cast(hash(p.symbol, p.date, p.splits) as hugeint)) as splits_checksum
    from raw.prices as p
    inner join raw.sec_company_tickers as t on p.symbol = t.ticker
    where p.splits > 0 and p.splits != 1
    group by t.cik
)

select
    coalesce(f.cik, s.cik) as cik,
    coalesce(f.facts, 0) as facts,
    coalesce(f.facts_checksum, 0) as facts_checksum,
    coalesce(s.splits, 0) as splits,
    coalesce(s.splits_checksum, 0) as splits_checksum
from facts as f
full outer join splits as s on f.cik = s.cik
