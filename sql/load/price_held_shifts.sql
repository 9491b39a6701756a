-- Rows an earlier run held back because of a level shift (ops.quarantine), for the symbols
-- in $symbols: (symbol, date, close). A new download that shows the same shift on the same
-- day confirms it (quality/price_neighbours.py). Index members' batches are labelled
-- member_prices: their held shifts are confirmed the same way (else a member's real move
-- stays held on every run and the member is missing from breadth).
with held as (
    select
        raw_values,
        split_part(natural_key, '|', 1) as symbol
    from ops.quarantine
    where source in ('prices', 'member_prices') and reason like '%level shift from %'
)

select distinct
    symbol,
    cast(json_extract_string(raw_values, '$.date') as date) as date,
    cast(json_extract_string(raw_values, '$.close') as double) as close
from held
where list_contains($symbols, symbol)
