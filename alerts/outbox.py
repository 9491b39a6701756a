"""Evaluate rules into the outbox: state and new events written in one transaction.

``evaluate`` runs each rule's SQL for the sessions it has not consumed yet, advances the state
machine and stores the transitions as events, already rendered, before anything is sent. The
state records the last session consumed and each event id is a hash of (rule, subject,
session, transition), so re-running a day or a backfill can never store an event twice, and a
delivery that fails leaves the event in the outbox for the next run.

A subject seen for the first time is warmed up on the history before ``as_of`` without
producing events: the machine learns which side of the threshold the value is on, so the first
run on a database with years of history does not announce every old crossing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from alerts.events import Event, event_id
from alerts.muting import firing_states, mute, silences_in_place
from alerts.queries import MissingInputError, observations
from alerts.render import EventContent, render_html, render_slack_block, render_text
from alerts.rules import STATE_CHANNELS, Rule
from alerts.state import RESOLVED, RuleState, Transition, run
from alerts.store import insert_event, load_states, write_state
from rotation import sql

log = logging.getLogger(__name__)

# History consumed silently for a subject the machine has never seen: long enough to know
# where the value stands and to honour a cooldown, short enough to stay cheap every run.
WARMUP_DAYS = 400


@dataclass(frozen=True)
class Plan:
    """What an evaluation would write: new states per (rule, subject) and new events."""

    states: dict[tuple[str, str], RuleState]
    events: list[Event]
    skipped: list[str]  # rules whose input is missing, with the reason


def make_event(rule: Rule, t: Transition, run_id: str, *, deliverable: bool) -> Event:
    """Render one transition into an outbox event (pure apart from hashing)."""
    content = EventContent(
        title=rule.headline,
        meaning=rule.meaning,
        subject=t.subject,
        event_date=t.date,
        transition=t.transition,
        severity=rule.severity,
        kind=rule.kind,
        value=t.value,
        threshold=rule.threshold,
        direction=rule.direction,
        rearm_at=rule.rearm_at,
        unit=rule.unit,
        runbook_url=rule.runbook_url,
        firing_since=t.firing_since,
    )
    channels = rule.channels
    if t.transition == RESOLVED and not rule.notify_resolved:
        # A quiet resolution is recorded only, except for channels that hold alert state
        # (Alertmanager): they must hear it ends, and decide themselves whom to tell.
        channels = tuple(c for c in channels if c in STATE_CHANNELS)
    return Event(
        event_id=event_id(rule.name, t.subject, t.date.isoformat(), t.transition),
        rule=rule.name,
        subject=t.subject,
        event_date=t.date,
        transition=t.transition,
        kind=rule.kind,
        severity=rule.severity,
        value=t.value,
        threshold=rule.threshold,
        title=rule.headline,
        body_text=render_text(content),
        body_html=render_html(content),
        slack_block=render_slack_block(content),
        channels=channels,
        suppressed=not deliverable or not channels,
        run_id=run_id,
        runbook_url=rule.runbook_url,
        started_on=t.firing_since,
    )


def plan(
    con: duckdb.DuckDBPyConnection,
    rules: Sequence[Rule],
    as_of: dt.date,
    run_id: str,
    *,
    deliverable: bool = True,
) -> Plan:
    """Compute new states and events for ``as_of`` without writing anything."""
    states: dict[tuple[str, str], RuleState] = {}
    events: list[Event] = []
    skipped: list[str] = []
    for rule in rules:
        known = load_states(con, rule.name)
        start = as_of - dt.timedelta(days=WARMUP_DAYS)
        consumed = [s.last_date for s in known.values() if s.last_date is not None]
        if consumed:
            start = min(start, min(consumed) + dt.timedelta(days=1))
        try:
            by_subject = observations(con, rule, start, as_of)
        except MissingInputError as exc:
            log.warning("%s", exc)
            skipped.append(str(exc))
            continue
        for subject, series in by_subject.items():
            state = known.get(subject)
            if state is None:  # first sight: warm up silently on the history before as_of
                state, _ = run(
                    RuleState(),
                    [o for o in series if o.date < as_of],
                    min_sessions=rule.min_sessions,
                    cooldown_sessions=rule.cooldown_sessions,
                    repeat_sessions=rule.repeat_sessions,
                )
                series = [o for o in series if o.date >= as_of]
                if state.last_date is not None:
                    states[(rule.name, subject)] = state
            new_state, transitions = run(
                state,
                series,
                min_sessions=rule.min_sessions,
                cooldown_sessions=rule.cooldown_sessions,
                repeat_sessions=rule.repeat_sessions,
            )
            if new_state != state or (rule.name, subject) in states:
                states[(rule.name, subject)] = new_state
            events += [make_event(rule, t, run_id, deliverable=deliverable) for t in transitions]
    # Silences and inhibition decide on the states as they will be after this evaluation.
    firing = firing_states(con, {key: s.status for key, s in states.items()})
    events = mute(events, rules, firing, silences_in_place(con))
    return Plan(states, events, skipped)


def evaluate(
    con: duckdb.DuckDBPyConnection,
    rules: Sequence[Rule],
    as_of: dt.date,
    run_id: str,
    *,
    deliverable: bool = True,
) -> list[Event]:
    """Advance every rule to ``as_of``; store new events in the outbox; return them.

    ``deliverable=False`` records the events without ever delivering them: what a backfill
    does unless ``[alerts] deliver_on_backfill`` is set.
    """
    result = plan(con, rules, as_of, run_id, deliverable=deliverable)
    new: list[Event] = []
    con.execute("begin transaction")
    try:
        for (rule, subject), s in result.states.items():
            write_state(con, rule, subject, s)
        new = [e for e in result.events if insert_event(con, e)]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    log.info("alerts: %d new event(s) for %s (run %s)", len(new), as_of, run_id)
    return new


def list_events(con: duckdb.DuckDBPyConnection, since: dt.date | None = None) -> pd.DataFrame:
    """Events on or after ``since`` (all when None) with their per-channel delivery state."""
    since = since or dt.date(1900, 1, 1)
    return con.execute(sql.read("alerts/events/list.sql"), {"since": since}).df()
