-- alerts/pipeline/run: the flow and session of a run, for its pipeline-health alerts
-- (alerts/pipeline_events.py: a failure is dated by the run's session, a recovery resolves its flow).
select
    flow,
    as_of
from ops.runs
where run_id = $run_id
