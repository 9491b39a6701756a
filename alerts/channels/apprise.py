"""The Apprise channel (``ROTATION_APPRISE_URLS``: PagerDuty ``pagerduty://``, Opsgenie,
Teams, Discord, JSON/form webhooks, ...): the digest as one notification.

Apprise reports a failed service by returning False and logging, never by raising
(STACK.md), so the result is checked and the captured log becomes the ``DeliveryError``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import TextIO

from alerts.channels.base import Channel, DeliveryError, Message, redact
from alerts.events import Event
from alerts.render import DigestContext, console_text, digest_order, summary
from alerts.rules import AlertsError
from rotation.settings import AlertsSettings, Secrets


def _notify_type(events: Sequence[Event]) -> str:
    fired = [e for e in events if e.transition != "resolved"]
    if not fired:
        return "success"
    worst = max(e.severity_rank for e in fired)
    return ("info", "warning", "failure")[max(worst, 0)]


class AppriseChannel(Channel):
    """The digest through Apprise to every URL of ``ROTATION_APPRISE_URLS``.

    One notification per digest for all URLs: when one service fails, the next run sends the
    digest again to all of them (the ones that got it see a repeat), so one URL per team
    tool is the clean set-up.
    """

    name = "apprise"

    def __init__(self, urls: Sequence[str]):
        import apprise  # ~0.1 s, only when the channel is configured

        if not urls:
            raise AlertsError("[alerts] channels lists apprise but ROTATION_APPRISE_URLS is empty")
        self._urls = tuple(urls)
        self._apprise = apprise.Apprise()
        for number, url in enumerate(self._urls, start=1):
            if not self._apprise.add(url):  # the URL itself never appears: it holds tokens
                raise AlertsError(
                    f"ROTATION_APPRISE_URLS: URL #{number} ({url.partition('://')[0]}://...) "
                    "is not one Apprise understands"
                )

    def messages(
        self,
        events: Sequence[Event],
        as_of: dt.date,
        run_id: str,
        *,
        repeat_ids: frozenset[str] = frozenset(),
        test: bool = False,
        context: DigestContext | None = None,
    ) -> list[Message]:
        ordered = digest_order(events)
        body = console_text(ordered, as_of, run_id, test=test, context=context)
        if repeat_ids:
            body += "\n(possible repeat: an earlier send was interrupted before it was recorded)"
        title = ("TEST - " if test else "") + "Rotation monitor - " + summary(ordered)
        payload = {"title": title, "body": body, "type": _notify_type(ordered)}
        return [Message(tuple(e.event_id for e in ordered), payload, "apprise notification")]

    def send(self, message: Message) -> str | None:
        import apprise

        payload = message.payload
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
            ok = self._apprise.notify(
                body=payload["body"],
                title=payload["title"],
                notify_type=payload["type"],
                body_format=apprise.NotifyFormat.TEXT,
            )
            log_text = captured.getvalue() if hasattr(captured, "getvalue") else ""
        if ok is True:
            return None
        detail = " ".join(str(log_text).split())[-400:] or "a service refused the notification"
        raise DeliveryError("apprise: " + redact(detail, list(self._urls)))


def build(alerts: AlertsSettings, secrets: Secrets, *, stream: TextIO | None = None) -> Channel:
    return AppriseChannel(secrets.apprise_urls)
