-- ops/incident_insert: a new incident, seen for the first time by run $run_id. first_detail
-- keeps the detail it was first seen with (the alert's stable subject; detail follows later
-- runs).
insert into ops.incidents (
    incident_id, source, subject, kind, detail, first_detail, session,
    first_run_id, last_run_id, first_seen, last_seen
)
values (
    $incident_id, $source, $subject, $kind, $detail, $detail, $session,
    $run_id, $run_id, $seen_at, $seen_at
)
