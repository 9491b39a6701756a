"""Pipeline-health events: a run that failed, and the later run that shows it works again.

They are outbox events like any rule's (stored once, silences apply, delivered by
``alerts/deliver.py``) but come from a flow's failure hook rather than from rule SQL, so they
are built here: ``record_pipeline_failure`` fires the flow's ``pipeline_failed`` state,
``record_pipeline_recovery`` resolves it when a later run of the flow reaches its alerts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb

from alerts.events import Event, event_id, fetch_rows
from alerts.muting import mute, silences_in_place
from alerts.render import EventContent, render_html, render_slack_block, render_text
from alerts.rules import CHANNEL_NAMES, SEVERITIES, AlertsError
from alerts.state import ARMED, FIRED, FIRING, RESOLVED, RuleState
from alerts.store import insert_event, load_states, write_state
from rotation import calendar, sql

PIPELINE_FAILURE_RULE = "pipeline_failed"


def _run_row(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any] | None:
    """The run's flow and session (``ops.runs``), or None for a run never recorded."""
    rows = fetch_rows(con.execute(sql.read("alerts/pipeline/run.sql"), {"run_id": run_id}))
    return rows[0] if rows else None


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
        stored = insert_event(con, event)
        write_state(con, PIPELINE_FAILURE_RULE, event.subject, state)
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
    day = row["as_of"] if row and row["as_of"] else calendar.today_in_new_york()
    detail = " ".join(message.split())
    known = load_states(con, PIPELINE_FAILURE_RULE).get(flow_name)
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
    flow_name, day = row["flow"], row["as_of"] or calendar.today_in_new_york()
    known = load_states(con, PIPELINE_FAILURE_RULE).get(flow_name)
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
