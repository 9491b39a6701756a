-- alerts/muting/add: one new silence (`rotation alerts silence`); values are parameters.
-- $subject is NULL for every subject of the rule.
insert into alerts.silences (silence_id, rule, subject, until_date, reason, created_by)
values ($silence_id, $rule, $subject, $until_date, $reason, $created_by)
