"""Looking without sending: ``preview`` of what the latest data would send, and ``backtest``.

Both run the same rule SQL and the same state machine as ``evaluate`` and write nothing, so
what they show is what the pipeline would do. The backtest is how the default thresholds were
chosen (docs/alerts.md): a threshold that fires every other week is noise, one that never fired
in 25 years watches nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pandas as pd

from alerts.muting import silences_in_place
from alerts.outbox import WARMUP_DAYS, plan
from alerts.queries import MissingInputError, observations
from alerts.render import console_text
from alerts.rules import Rule
from alerts.state import FIRED, FIRING, RuleState, step
from rotation import sql


def preview(con: duckdb.DuckDBPyConnection, rules: Sequence[Rule], as_of: dt.date) -> str:
    """The digest that evaluating ``as_of`` would add, plus what already waits; sends nothing."""
    result = plan(con, rules, as_of, "preview")
    new = [e for e in result.events if not e.suppressed]
    muted = [e for e in result.events if e.muted_by]
    quiet = len(result.events) - len(new) - len(muted)
    lines = [
        console_text(new, as_of, "preview")
        if new
        else f"No new alerts for the session {as_of.isoformat()}."
    ]
    if muted:
        lines.append(f"Would be muted ({len(muted)}; recorded, not sent):")
        lines += [
            f"  {e.rule} [{e.subject}] {e.transition} {e.event_date.isoformat()}: {e.muted_by}"
            for e in muted
        ]
    if quiet:
        lines.append(f"({quiet} transition(s) would be recorded without being sent.)")
    silences = [x for x in silences_in_place(con) if x.until >= as_of]
    if silences:
        lines.append(f"Silences covering {as_of.isoformat()}:")
        lines += [
            f"  {x.silence_id} {x.scope} until {x.until.isoformat()}: {x.reason}" for x in silences
        ]
    waiting = con.execute(sql.read("alerts/events/waiting_count.sql")).fetchone()
    if waiting and waiting[0]:
        lines.append(f"{waiting[0]} earlier event(s) are still waiting in the outbox.")
    lines += [f"Skipped: {reason}" for reason in result.skipped]
    return "\n".join(lines)


_COLUMNS = [
    "rule",
    "subject",
    "kind",
    "severity",
    "direction",
    "threshold",
    "sessions",
    "fires",
    "pct_sessions_firing",
    "first_fire",
    "last_fire",
    "fire_dates",
]


def backtest(
    con: duckdb.DuckDBPyConnection,
    rules: Sequence[Rule],
    start: dt.date,
    end: dt.date,
) -> pd.DataFrame:
    """Per rule and subject: how often and when the rule would have fired in ``[start, end]``.

    Like a first evaluation, the machine warms up silently on the history before ``start``.
    A rule whose input table is missing gets one row with ``sessions`` 0 and the reason in
    ``fire_dates``.
    """
    rows = []
    for rule in rules:
        base = [
            rule.name,
            rule.subject,
            rule.kind,
            rule.severity,
            rule.direction,
            rule.threshold,
        ]
        try:
            by_subject = observations(con, rule, start - dt.timedelta(days=WARMUP_DAYS), end)
        except MissingInputError as exc:
            rows.append([*base, 0, 0, 0.0, None, None, str(exc)])
            continue
        if not by_subject:
            rows.append([*base, 0, 0, 0.0, None, None, ""])
        for subject, series in sorted(by_subject.items()):
            state = RuleState()
            fires: list[dt.date] = []
            sessions = firing = 0
            for obs in series:  # reminders are left out: a backtest counts crossings
                state, what = step(
                    state,
                    obs,
                    min_sessions=rule.min_sessions,
                    cooldown_sessions=rule.cooldown_sessions,
                )
                if obs.date < start:
                    continue
                sessions += 1
                firing += state.status == FIRING
                if what == FIRED:
                    fires.append(obs.date)
            rows.append(
                [
                    *base[:1],
                    subject,
                    *base[2:],
                    sessions,
                    len(fires),
                    round(100.0 * firing / sessions, 1) if sessions else 0.0,
                    fires[0] if fires else None,
                    fires[-1] if fires else None,
                    ", ".join(d.isoformat() for d in fires),
                ]
            )
    return pd.DataFrame(rows, columns=_COLUMNS)
