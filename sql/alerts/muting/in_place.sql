-- alerts/muting/in_place: every silence not removed. Whether one mutes an event depends on
-- the event's session (on or before until_date), decided in alerts/muting.py.
select
    silence_id,
    rule,
    subject,
    until_date,
    reason
from alerts.silences
where removed_at is null
order by created_at, silence_id
