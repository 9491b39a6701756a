"""The Alertmanager channel (``POST /api/v2/alerts``), into the alerting teams already run.

An ordinary outbox channel (exactly once, retried on a later run, recorded per channel), so
nothing about delivery guarantees changes when a team plugs the monitor in. One alert per
event with labels (``alertname`` = the rule, ``subject``, ``severity``, ``kind``) and
annotations (title, text, runbook, report, run); Alertmanager's own grouping, silences,
inhibition and routing then apply. A firing alert carries an ``endsAt``
``alertmanager_hold_h`` ahead (Alertmanager otherwise resolves an alert it has not heard of
for ``resolve_timeout``, 5 minutes by default, and this pipeline speaks once a day). Like
Prometheus, every run re-posts the alerts that still fire (``alerts/refresh.py``), so they
stay firing there as long as here; every resolution is sent to Alertmanager
(``notify_resolved`` or not: its receivers' ``send_resolved`` decides whom to tell), with
``endsAt`` now.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import requests

from alerts.channels.base import Channel, DeliveryError, Message, redact
from alerts.events import Event
from alerts.render import DigestContext, digest_order
from alerts.rules import AlertsError
from rotation.settings import AlertsSettings, Secrets

_NEW_YORK = ZoneInfo("America/New_York")
SERVICE_LABEL = "rotation-monitor"


def _session_close(day: dt.date) -> dt.datetime:
    """The moment a session's data exists: its 16:00 New York close, in UTC."""
    return dt.datetime.combine(day, dt.time(16, 0), _NEW_YORK).astimezone(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def alertmanager_alert(
    event: Event,
    now: dt.datetime,
    *,
    hold: dt.timedelta,
    context: DigestContext | None = None,
    test: bool = False,
) -> dict[str, Any]:
    """One event as an Alertmanager v2 alert (pure: tested on its own)."""
    starts = _session_close(event.started_on or event.event_date)
    if starts > now:  # a session still running (a re-run during the day): never the future
        starts = now
    if event.transition == "resolved":
        ends = max(now, starts)
    elif test:
        ends = now + dt.timedelta(minutes=5)
    else:
        ends = now + hold
    annotations = {"summary": event.title, "description": event.body_text}
    if event.runbook_url:
        annotations["runbook_url"] = event.runbook_url
    if context and context.report:
        annotations["report"] = context.report
    if event.transition == "reminder":
        annotations["reminder"] = f"still firing on {event.event_date.isoformat()}"
    alert: dict[str, Any] = {
        "labels": {
            "alertname": "rotation_test" if test else event.rule,
            "subject": event.subject,
            "severity": event.severity,
            "kind": event.kind,
            "service": SERVICE_LABEL,
        },
        "annotations": annotations,
        "startsAt": _iso(starts),
        "endsAt": _iso(ends),
    }
    if context and context.run_url:
        alert["generatorURL"] = context.run_url
    return alert


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class AlertmanagerChannel(Channel):
    """POST the digest's events to Alertmanager's ``/api/v2/alerts``; 5xx retried twice."""

    name = "alertmanager"

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 10.0,
        hold_h: float = 96.0,
        max_attempts: int = 3,
        session: requests.Session | None = None,
        clock: Any = None,
    ):
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise AlertsError(f"[alerts] alertmanager_url must be an http(s) URL, got {base_url!r}")
        self._url = base_url.rstrip("/") + "/api/v2/alerts"
        self._shown = _without_userinfo(self._url)  # credentials in the URL stay out of logs
        self.timeout_s = timeout_s
        self.hold = dt.timedelta(hours=hold_h)
        self.max_attempts = max_attempts
        self._session = session
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

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
        # Re-posting an alert is harmless (Alertmanager de-duplicates by labels), so a
        # possible repeat needs no notice here.
        ordered = digest_order(events)
        now = self._clock()
        alerts = [
            alertmanager_alert(e, now, hold=self.hold, context=context, test=test) for e in ordered
        ]
        return [Message(tuple(e.event_id for e in ordered), alerts, "alertmanager alerts")]

    def _fail(self, text: str) -> DeliveryError:
        return DeliveryError(f"alertmanager {self._shown}: " + redact(text, [self._url]))

    def send(self, message: Message) -> str | None:
        session = self._session or requests.Session()
        self._session = session
        body = json.dumps(message.payload).encode()
        last = ""
        for attempt in range(1, self.max_attempts + 1):
            try:
                resp = session.post(
                    self._url,
                    data=body,
                    headers={"Content-Type": "application/json"},
                    timeout=(min(5.0, self.timeout_s), self.timeout_s),
                    allow_redirects=False,
                )
            except requests.Timeout:
                raise self._fail(f"no answer within {self.timeout_s:g}s") from None
            except requests.RequestException as exc:
                raise self._fail(f"cannot reach it ({type(exc).__name__})") from None
            if resp.status_code == 200:
                return None
            last = f"HTTP {resp.status_code} {' '.join(resp.text[:200].split())}".strip()
            if resp.status_code < 500 or attempt == self.max_attempts:
                break  # a 4xx is our payload or auth: retrying changes nothing
            time.sleep(0.5 * attempt)
        raise self._fail(last)


def build(alerts: AlertsSettings, secrets: Secrets, *, stream: TextIO | None = None) -> Channel:
    if not alerts.alertmanager_url:
        raise AlertsError("[alerts] channels lists alertmanager but alertmanager_url unset")
    return AlertmanagerChannel(
        alerts.alertmanager_url,
        timeout_s=alerts.alertmanager_timeout_s,
        hold_h=alerts.alertmanager_hold_h,
    )
