"""``rotation alerts test``: a clearly marked test digest through each configured channel,
rendered and sent like a real one, so a set-up is proven before the first real alert."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from alerts.channels.base import Channel, DeliveryError
from alerts.events import Event
from alerts.render import EventContent, render_html, render_slack_block, render_text


def test_event() -> Event:
    """A clearly marked test alert, so `rotation alerts test` exercises the real formatting."""
    today = dt.date.today()
    content = EventContent(
        title="TEST - rotation monitor test message",
        meaning="This is a test sent by `rotation alerts test`; no action is needed.",
        subject="test",
        event_date=today,
        transition="fired",
        severity="info",
        kind="pipeline_health",
        value=None,
        threshold=None,
        direction="above",
        rearm_at=None,
        unit="number",
    )
    return Event(
        event_id="test",
        rule="test",
        subject="test",
        event_date=today,
        transition="fired",
        kind="pipeline_health",
        severity="info",
        value=None,
        threshold=None,
        title=content.title,
        body_text=render_text(content),
        body_html=render_html(content),
        slack_block=render_slack_block(content),
    )


def send_test(channels: Sequence[Channel]) -> list[tuple[str, bool, str]]:
    """Send a test message on each channel: (channel, ok, what happened or what failed)."""
    event = test_event()
    results = []
    for channel in channels:
        try:
            messages = channel.messages([event], event.event_date, "test", test=True)
            notes = [channel.send(m) for m in messages]
        except DeliveryError as exc:
            results.append((channel.name, False, str(exc)))
            continue
        done = f"sent {len(messages)} test message(s)"
        results.append((channel.name, True, "; ".join([done, *(n for n in notes if n)])))
    return results
