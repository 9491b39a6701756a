-- ops/incident_resolve_unseen_subjects: as incident_resolve_unseen, limited to $subjects, the
-- subjects the stage actually checked this run (the member-price stage re-checks the members
-- that delivered; one that delivered nothing keeps its incidents open).
update ops.incidents
set
    resolved_at = $seen_at,
    resolved_run_id = $run_id
where
    source = $source
    and resolved_at is null
    and last_run_id <> $run_id
    and list_contains($kinds, kind)
    and list_contains($subjects, subject)
returning incident_id, subject, kind
