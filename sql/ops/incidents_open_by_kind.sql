-- ops/incidents_open_by_kind: how many incidents of one source are open, per kind, and how
-- many of them the given run opened (the member stage's one-line damage summary).
-- Parameters: $source, $run_id.
select
    kind,
    count(*) as open_count,
    count(*) filter (where first_run_id = $run_id) as new_count
from ops.incidents
where
    source = $source
    and resolved_at is null
group by kind
order by open_count desc, kind asc
