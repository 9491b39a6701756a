-- ops/incident_resolve_unseen: incidents of $source that run $run_id checked for and did not
-- see again are over. $kinds limits it to the kinds the stage actually checked (a stage that
-- did not look must not resolve what it did not look at).
update ops.incidents
set
    resolved_at = $seen_at,
    resolved_run_id = $run_id
where
    source = $source
    and resolved_at is null
    and last_run_id <> $run_id
    and list_contains($kinds, kind)
returning incident_id, subject, kind
