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
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from alerts.muting import firing_states, mute, silences_in_place
from alerts.queries import ALERTS_SQL_DIR, MissingInputError, observations
from alerts.render import (
    Event,
    EventContent,
    render_html,
    render_slack_block,
    render_text,
)
from alerts.rules import CHANNEL_NAMES, SEVERITIES, STATE_CHANNELS, AlertsError, Rule
from alerts.state import ARMED, FIRED, FIRING, RESOLVED, RuleState, Transition, run
from rotation import calendar

log = logging.getLogger(__name__)

# History consumed silently for a subject the machine has never seen: long enough to know
# where the value stands and to honour a cooldown, short enough to stay cheap every run.
WARMUP_DAYS = 400

PIPELINE_FAILURE_RULE = "pipeline_failed"


@dataclass(frozen=True)
class Plan:
    """What an evaluation would write: new states per (rule, subject) and new events."""

    states: dict[tuple[str, str], RuleState]
    events: list[Event]
    skipped: list[str]  # rules whose input is missing, with the reason


def event_id(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:24]


def _load_states(con: duckdb.DuckDBPyConnection, rule: str) -> dict[str, RuleState]:
    rows = con.execute(
        """select subject, status, breach_streak, sessions_since_fire, last_fired_date,
                  last_date, last_value
           from alerts.rule_state where rule = ?""",
        [rule],
    ).fetchall()
    return {r[0]: RuleState(*r[1:]) for r in rows}


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
        known = _load_states(con, rule.name)
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


_UPSERT_STATE = """
insert into alerts.rule_state
    (rule, subject, status, breach_streak, sessions_since_fire, last_fired_date, last_date,
     last_value, updated_at)
values (?, ?, ?, ?, ?, ?, ?, ?, now())
on conflict (rule, subject) do update set
    status = excluded.status,
    breach_streak = excluded.breach_streak,
    sessions_since_fire = excluded.sessions_since_fire,
    last_fired_date = excluded.last_fired_date,
    last_date = excluded.last_date,
    last_value = excluded.last_value,
    updated_at = now()
"""

_INSERT_EVENT = """
insert into alerts.events
    (event_id, rule, subject, event_date, transition, kind, severity, value, threshold, title,
     body_text, body_html, slack_block, channels, suppressed, run_id, muted_by, silence_id,
     runbook_url, started_on)
values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
on conflict (event_id) do nothing
returning event_id
"""


def _insert_event(con: duckdb.DuckDBPyConnection, e: Event) -> bool:
    inserted = con.execute(
        _INSERT_EVENT,
        [
            e.event_id,
            e.rule,
            e.subject,
            e.event_date,
            e.transition,
            e.kind,
            e.severity,
            e.value,
            e.threshold,
            e.title,
            e.body_text,
            e.body_html,
            json.dumps(e.slack_block),
            list(e.channels),
            e.suppressed,
            e.run_id,
            e.muted_by,
            e.silence_id,
            e.runbook_url or None,
            e.started_on,
        ],
    ).fetchall()
    return bool(inserted)


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
            _write_state(con, rule, subject, s)
        new = [e for e in result.events if _insert_event(con, e)]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    log.info("alerts: %d new event(s) for %s (run %s)", len(new), as_of, run_id)
    return new


def _write_state(con: duckdb.DuckDBPyConnection, rule: str, subject: str, s: RuleState) -> None:
    con.execute(
        _UPSERT_STATE,
        [
            rule,
            subject,
            s.status,
            s.breach_streak,
            s.sessions_since_fire,
            s.last_fired_date,
            s.last_date,
            s.last_value,
        ],
    )


def _run_row(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[str, dt.date | None] | None:
    sql = (ALERTS_SQL_DIR / "pipeline" / "run.sql").read_text()
    row = con.execute(sql, {"run_id": run_id}).fetchone()
    return (row[0], row[1]) if row else None


def _check_pipeline_args(channels: Sequence[str], severity: str) -> None:
    if severity not in SEVERITIES:
        raise AlertsError(f"pipeline failure severity {severity!r} is not one of {SEVERITIES}")
    unknown = [c for c in channels if c not in CHANNEL_NAMES]
    if unknown:
        raise AlertsError(f"pipeline failure channel(s) {unknown} unknown; known {CHANNEL_NAMES}")


def _pipeline_event(
    run_id: str,
    flow_name: str,
    day: dt.date,
    transition: str,
    *,
    channels: Sequence[str],
    severity: str,
    extra: str,
    started_on: dt.date | None,
    key: str,
) -> Event:
    failed = transition == FIRED
    content = EventContent(
        title="Pipeline run failed" if failed else "Pipeline runs again",
        meaning=(
            "A scheduled run did not finish: data and alerts for this session may be missing "
            "until it is re-run."
            if failed
            else "A run completed after a failed one: data and alerts are current again."
        ),
        subject=flow_name,
        event_date=day,
        transition=transition,
        severity=severity,
        kind="pipeline_health",
        value=None,
        threshold=None,
        direction="above",
        rearm_at=None,
        unit="count",
        extra=extra,
        firing_since=started_on,
    )
    return Event(
        event_id=event_id(PIPELINE_FAILURE_RULE, flow_name, key),
        rule=PIPELINE_FAILURE_RULE,
        subject=flow_name,
        event_date=day,
        transition=transition,
        kind="pipeline_health",
        severity=severity,
        value=None,
        threshold=None,
        title=content.title,
        body_text=render_text(content),
        body_html=render_html(content),
        slack_block=render_slack_block(content),
        channels=tuple(dict.fromkeys(channels)),
        suppressed=not channels,
        run_id=run_id,
        started_on=started_on or day,
    )


def _store_pipeline_event(
    con: duckdb.DuckDBPyConnection, event: Event, state: RuleState
) -> Event | None:
    """Write the event (silences apply) and the pipeline's state in one transaction."""
    (event,) = mute([event], [], [], silences_in_place(con))
    con.execute("begin transaction")
    try:
        stored = _insert_event(con, event)
        _write_state(con, PIPELINE_FAILURE_RULE, event.subject, state)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return event if stored else None


def record_pipeline_failure(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    flow_name: str,
    message: str,
    *,
    channels: Sequence[str] = ("console",),
    severity: str = "critical",
) -> Event | None:
    """Put a 'run failed' event in the outbox (for a flow's failure hook); None if known.

    The event id includes the run id, so the hook firing twice for one run stores one event.
    The failure message is data (it may quote anything), so it is rendered as hostile text.
    The flow's pipeline state becomes ``firing``, so the next good run says it is resolved
    (``record_pipeline_recovery``). Pass the routed channels and call ``deliver`` after this.
    """
    _check_pipeline_args(channels, severity)
    row = _run_row(con, run_id)
    day = row[1] if row and row[1] else calendar.today_in_new_york()
    detail = " ".join(message.split())
    known = _load_states(con, PIPELINE_FAILURE_RULE).get(flow_name)
    started = known.last_fired_date if known and known.status == FIRING else day
    event = _pipeline_event(
        run_id,
        flow_name,
        day,
        FIRED,
        channels=channels,
        severity=severity,
        extra=f"run {run_id}: {detail[:500]}",
        started_on=started,
        key=run_id,
    )
    state = RuleState(status=FIRING, sessions_since_fire=0, last_fired_date=started, last_date=day)
    return _store_pipeline_event(con, event, state)


def record_pipeline_recovery(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    channels: Sequence[str] = ("console",),
    severity: str = "critical",
) -> Event | None:
    """A good run after a failed one of the same flow resolves the pipeline alert.

    Called by a run that got as far as its alerts; the flow name comes from ``ops.runs``.
    Returns the 'resolved' event, or None when the flow was not failing.
    """
    _check_pipeline_args(channels, severity)
    row = _run_row(con, run_id)
    if row is None:
        return None
    flow_name, day = row[0], row[1] or calendar.today_in_new_york()
    known = _load_states(con, PIPELINE_FAILURE_RULE).get(flow_name)
    if known is None or known.status != FIRING:
        return None
    event = _pipeline_event(
        run_id,
        flow_name,
        day,
        RESOLVED,
        channels=channels,
        severity=severity,
        extra=f"run {run_id} completed",
        started_on=known.last_fired_date,
        key=f"{run_id}|resolved",
    )
    state = RuleState(
        status=ARMED,
        sessions_since_fire=known.sessions_since_fire,
        last_fired_date=known.last_fired_date,
        last_date=day,
    )
    return _store_pipeline_event(con, event, state)


_LIST_EVENTS = """
with targets as (
    select
        e.event_id,
        unnest(e.channels) as channel
    from alerts.events as e
),

states as (
    select
        t.event_id,
        string_agg(
            t.channel || ': ' || case
                when d.delivered_at is not null
                    then 'delivered ' || strftime(d.delivered_at, '%Y-%m-%d %H:%M')
                when d.in_flight then 'interrupted (will re-send)'
                when d.attempts > 0
                    then 'failed x' || d.attempts || ' (' || coalesce(d.last_error, '?') || ')'
                else 'pending'
            end,
            '; ' order by t.channel
        ) as delivery
    from targets as t
    left join alerts.deliveries as d
        on t.event_id = d.event_id and t.channel = d.channel
    group by t.event_id
)

select
    e.created_at,
    e.event_date,
    e.severity,
    e.kind,
    e.transition,
    e.rule,
    e.subject,
    e.value,
    e.threshold,
    case
        when e.muted_by is not null then 'muted (' || e.muted_by || ')'
        when e.suppressed then 'recorded only'
        else coalesce(s.delivery, '')
    end as delivery,
    e.event_id
from alerts.events as e
left join states as s on e.event_id = s.event_id
where e.event_date >= ?
order by e.event_date desc, e.created_at desc, e.rule, e.subject
"""


def list_events(con: duckdb.DuckDBPyConnection, since: dt.date | None = None) -> pd.DataFrame:
    """Events on or after ``since`` (all when None) with their per-channel delivery state."""
    return con.execute(_LIST_EVENTS, [since or dt.date(1900, 1, 1)]).df()
