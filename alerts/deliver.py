"""Deliver the outbox: one digest per channel per run, recorded message by message.

For each message the deliveries rows are first marked ``in_flight`` (committed), then the
message is sent, then marked delivered (or failed) — so the database always knows as much as
the channel does, except in one window: a process that dies after the channel accepted a
message and before the update. The event is then still undelivered with ``in_flight`` set,
and the next run sends it again, flagged as a possible repeat. That is the trade chosen:
at-least-once (a rare duplicate, announced as such) rather than at-most-once (a lost alert).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from alerts.channels.base import Channel, DeliveryError
from alerts.events import Event, fetch_rows
from alerts.muting import mute_waiting
from alerts.render import DigestContext, digest_order
from rotation import sql

log = logging.getLogger(__name__)


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


def _write(con: duckdb.DuckDBPyConnection, name: str, rows: list[dict[str, object]]) -> None:
    """Run ``sql/alerts/deliveries/<name>.sql`` once per row, in one transaction."""
    statement = sql.read(f"alerts/deliveries/{name}.sql")
    con.execute("begin transaction")
    try:
        for row in rows:
            con.execute(statement, row)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def pending(con: duckdb.DuckDBPyConnection, channel: str) -> tuple[list[Event], frozenset[str]]:
    """Undelivered events for ``channel`` in digest order, and those that were in flight."""
    query = sql.read("alerts/events/pending.sql")
    rows = fetch_rows(con.execute(query, {"channel": channel}))
    events = digest_order([Event.from_row(r) for r in rows])
    return events, frozenset(r["event_id"] for r in rows if r["in_flight"])


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
            _write(
                con,
                "mark_in_flight",
                [{"event_id": i, "channel": channel.name, "run_id": run_id} for i in ids],
            )
            try:
                note = channel.send(message)
            except DeliveryError as exc:
                error = str(exc)
            except Exception as exc:  # a channel bug: record it like a refusal, keep going
                log.exception("alerts: %s failed unexpectedly", channel.name)
                error = f"{channel.name}: {type(exc).__name__}"
            else:
                _write(
                    con,
                    "mark_delivered",
                    [{"note": note, "event_id": i, "channel": channel.name} for i in ids],
                )
                result.delivered += len(ids)
                result.messages += 1
                continue
            _write(
                con,
                "mark_failed",
                [{"error": error, "event_id": i, "channel": channel.name} for i in ids],
            )
            # Stop at the first refused message: hammering a failing endpoint helps nobody,
            # and what was not attempted stays in the outbox for the next run.
            result.failed = sum(len(m.event_ids) for m in messages[number:])
            result.errors.append(error)
            log.warning("alerts: %s", error)
            break
    configured = {c.name for c in channels}
    report.waiting_unconfigured = {
        row["channel"]: row["events"]
        for row in fetch_rows(con.execute(sql.read("alerts/events/waiting.sql")))
        if row["channel"] not in configured
    }
    return report
