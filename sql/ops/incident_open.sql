-- ops/incident_open: the open incident of (source, subject, kind), if any.
-- Parameters: $source, $subject, $kind.
select incident_id
from ops.incidents
where
    source = $source
    and subject = $subject
    and kind = $kind
    and resolved_at is null
