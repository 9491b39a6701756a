-- alerts/muting/remove: `rotation alerts unsilence ID`. The row stays (with removed_at) so
-- the events it muted still name it; returns the silence when it was still in place.
update alerts.silences
set removed_at = now()
where silence_id = $silence_id and removed_at is null
returning silence_id, rule, subject, until_date
