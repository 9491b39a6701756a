"""Deliver the outbox: one digest per channel per run, recorded message by message.

For each message the deliveries rows are first marked ``in_flight`` (committed), then the
message is sent, then marked delivered (or failed) — so the database always knows as much as
the channel does, except in one window: a process that dies after the channel accepted a
message and before the update. The event is then still undelivered with ``in_flight`` set,
and the next run sends it again, flagged as a possible repeat. That is the trade chosen:
at-least-once (a rare duplicate, announced as such) rather than at-most-once (a lost alert).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from alerts.channels import Channel, DeliveryError
from alerts.muting import mute_waiting
from alerts.render import DigestContext, Event, digest_order

log = logging.getLogger(__name__)

_PENDING = """
select
    e.event_id, e.rule, e.subject, e.event_date, e.transition, e.kind, e.severity, e.value,
    e.threshold, e.title, e.body_text, e.body_html, e.slack_block, e.channels, e.suppressed,
    e.run_id, coalesce(d.in_flight, false) as in_flight, e.runbook_url, e.started_on
from alerts.events as e
left join alerts.deliveries as d
    on e.event_id = d.event_id and d.channel = $channel
where not e.suppressed and list_contains(e.channels, $channel) and d.delivered_at is null
"""

_WAITING = """
select
    t.channel,
    count(*) as events
from (select event_id, unnest(channels) as channel from alerts.events where not suppressed) as t
left join alerts.deliveries as d on t.event_id = d.event_id and t.channel = d.channel
where d.delivered_at is null
group by t.channel
"""

_MARK_IN_FLIGHT = """
insert into alerts.deliveries (event_id, channel, attempts, in_flight, last_attempt_at, run_id)
values (?, ?, 1, true, now(), ?)
on conflict (event_id, channel) do update set
    attempts = alerts.deliveries.attempts + 1,
    in_flight = true,
    last_attempt_at = now(),
    run_id = excluded.run_id
"""

_MARK_DELIVERED = """
update alerts.deliveries
set delivered_at = now(), in_flight = false, last_error = ?
where event_id = ? and channel = ?
"""

_MARK_FAILED = """
update alerts.deliveries
set in_flight = false, last_error = ?
where event_id = ? and channel = ?
"""


@dataclass
class ChannelReport:
    channel: str
    delivered: int = 0
    failed: int = 0
    messages: int = 0
    repeats: int = 0  # events re-sent after an interrupted send
    errors: list[str] = field(default_factory=list)


@dataclass
class DeliveryReport:
    channels: list[ChannelReport] = field(default_factory=list)
    waiting_unconfigured: dict[str, int] = field(default_factory=dict)
    muted: int = 0  # waiting events a silence muted before they were sent

    @property
    def ok(self) -> bool:
        return all(c.failed == 0 for c in self.channels)

    @property
    def delivered(self) -> int:
        return sum(c.delivered for c in self.channels)

    def __str__(self) -> str:
        lines = []
        for c in self.channels:
            line = f"{c.channel}: {c.delivered} delivered in {c.messages} message(s)"
            if c.failed:
                line += f", {c.failed} failed ({'; '.join(c.errors)})"
            if c.repeats:
                line += f", {c.repeats} possible repeat(s)"
            lines.append(line)
        if self.muted:
            lines.append(f"{self.muted} waiting event(s) muted by a silence")
        lines += [
            f"{name}: {n} event(s) waiting; channel not configured in this run"
            for name, n in sorted(self.waiting_unconfigured.items())
        ]
        return "\n".join(lines) or "no channels"


def row_event(row: tuple) -> Event:
    return Event(
        event_id=row[0],
        rule=row[1],
        subject=row[2],
        event_date=row[3],
        transition=row[4],
        kind=row[5],
        severity=row[6],
        value=row[7],
        threshold=row[8],
        title=row[9],
        body_text=row[10],
        body_html=row[11],
        slack_block=json.loads(row[12]),
        channels=tuple(row[13]),
        suppressed=row[14],
        run_id=row[15],
        runbook_url=row[17] or "",
        started_on=row[18],
    )


def _write(con: duckdb.DuckDBPyConnection, sql: str, rows: list[list[object]]) -> None:
    con.execute("begin transaction")
    try:
        for row in rows:
            con.execute(sql, row)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def pending(con: duckdb.DuckDBPyConnection, channel: str) -> tuple[list[Event], frozenset[str]]:
    """Undelivered events for ``channel`` in digest order, and those that were in flight."""
    rows = con.execute(_PENDING, {"channel": channel}).fetchall()
    events = digest_order([row_event(r) for r in rows])
    return events, frozenset(r[0] for r in rows if r[16])


def deliver(
    con: duckdb.DuckDBPyConnection,
    channels: Sequence[Channel],
    run_id: str,
    *,
    context: DigestContext | None = None,
) -> DeliveryReport:
    """Send every channel its undelivered events as one digest; record each attempt.

    A silence added since an event was stored mutes it here, before anything is sent.
    ``context`` adds the run's links (Prefect flow run, report) to every message.
    """
    report = DeliveryReport()
    for channel in channels:
        result = ChannelReport(channel.name)
        report.channels.append(result)
        events, in_flight = pending(con, channel.name)
        muted = {e.event_id for e in mute_waiting(con, events)}
        events = [e for e in events if e.event_id not in muted]
        report.muted += len(muted)
        if not events:
            continue
        as_of = max(e.event_date for e in events)
        result.repeats = len(in_flight)
        by_id = {e.event_id: e for e in events}
        try:
            messages = channel.messages(
                events, as_of, run_id, repeat_ids=in_flight, context=context
            )
        except Exception as exc:  # a rendering bug must not hide the other channels' alerts
            log.exception("alerts: %s could not render its digest", channel.name)
            result.failed = len(events)
            result.errors.append(f"render failed: {type(exc).__name__}: {exc}")
            continue
        for number, message in enumerate(messages):
            ids = [i for i in message.event_ids if i in by_id]
            _write(con, _MARK_IN_FLIGHT, [[i, channel.name, run_id] for i in ids])
            try:
                note = channel.send(message)
            except DeliveryError as exc:
                error = str(exc)
            except Exception as exc:  # a channel bug: record it like a refusal, keep going
                log.exception("alerts: %s failed unexpectedly", channel.name)
                error = f"{channel.name}: {type(exc).__name__}"
            else:
                _write(con, _MARK_DELIVERED, [[note, i, channel.name] for i in ids])
                result.delivered += len(ids)
                result.messages += 1
                continue
            _write(con, _MARK_FAILED, [[error, i, channel.name] for i in ids])
            # Stop at the first refused message: hammering a failing endpoint helps nobody,
            # and what was not attempted stays in the outbox for the next run.
            result.failed = sum(len(m.event_ids) for m in messages[number:])
            result.errors.append(error)
            log.warning("alerts: %s", error)
            break
    configured = {c.name for c in channels}
    report.waiting_unconfigured = {
        name: n for name, n in con.execute(_WAITING).fetchall() if name not in configured
    }
    return report
