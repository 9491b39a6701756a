-- alerts/muting/firing: the (rule, subject) pairs firing as stored, which inhibition reads
-- (alerts/muting.py overlays the states an evaluation is about to write).
select
    rule,
    subject,
    status
from alerts.rule_state
