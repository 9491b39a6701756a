-- alerts/state/upsert: the state of one (rule, subject) after an evaluation, written in the
-- same transaction as the events it produced (alerts/store.py).
insert into alerts.rule_state (
    rule, subject, status, breach_streak, sessions_since_fire, last_fired_date, last_date,
    last_value, updated_at
)
values (
    $rule, $subject, $status, $breach_streak, $sessions_since_fire, $last_fired_date,
    $last_date, $last_value, now()
)
on conflict (rule, subject) do update set
    status = excluded.status,
    breach_streak = excluded.breach_streak,
    sessions_since_fire = excluded.sessions_since_fire,
    last_fired_date = excluded.last_fired_date,
    last_date = excluded.last_date,
    last_value = excluded.last_value,
    updated_at = now()
