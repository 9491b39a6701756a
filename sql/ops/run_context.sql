-- ops/run_context: the flow and the session of run $run_id (a stage's incidents carry the
-- session; a daily run expects every configured symbol, a backfill chunk does not).
select
    flow,
    as_of
from ops.runs
where run_id = $run_id
