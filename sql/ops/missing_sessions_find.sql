-- (symbol, date) for every expected session (registered as expected_sessions) with no stored
-- row, for the symbols registered as wanted_symbols. A symbol never stored is reported as a
-- missing symbol, not per session.
with first_rows as (
    select
        w.symbol,
        min(p.date) as first_date
    from wanted_symbols as w
    left join raw.prices as p on w.symbol = p.symbol
    group by w.symbol
),

missing as (
    select
        f.symbol,
        cast(e.date as date) as date
    from first_rows as f
    cross join expected_sessions as e
    where
        cast(e.date as date) >= f.first_date
        and not exists (
            select 1 from raw.prices as p
            where p.symbol = f.symbol and p.date = cast(e.date as date)
        )
)

select
    symbol,
    date
from missing
order by symbol, date
