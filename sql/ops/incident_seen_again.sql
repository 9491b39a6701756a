-- ops/incident_seen_again: an open incident seen again by run $run_id; the newest detail wins.
update ops.incidents
set
    last_run_id = $run_id,
    last_seen = $seen_at,
    detail = $detail
where incident_id = $incident_id
