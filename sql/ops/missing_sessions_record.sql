-- The sessions a run found missing (registered as gap_rows: run_id, symbol, date).
insert into ops.missing_sessions (run_id, symbol, date)
select
    run_id,
    symbol,
    date
from gap_rows
