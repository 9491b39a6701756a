-- ops/incident_resolve_checked: like incident_resolve_unseen, limited to the $subjects the run
-- actually checked. A stage that reads some files of a source (a backfill quarter, the days
-- of the trailing window) resolves what it re-read and found whole, and leaves the incidents
-- of files it did not read open.
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
