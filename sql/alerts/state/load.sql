-- alerts/state/load: the state machine of one rule ($rule), one row per subject it has seen
-- (alerts/store.py; read by column name into alerts/state.py RuleState).
select
    subject,
    status,
    breach_streak,
    sessions_since_fire,
    last_fired_date,
    last_date,
    last_value
from alerts.rule_state
where rule = $rule
