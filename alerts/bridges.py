"""Channels into the tools teams already run: Alertmanager, and whatever Apprise reaches.

Both are ordinary outbox channels (exactly once, retried on a later run, recorded per
channel), so nothing about delivery guarantees changes when a team plugs the monitor in.

- **Alertmanager** (``POST /api/v2/alerts``): one alert per event with labels (``alertname``
  = the rule, ``subject``, ``severity``, ``kind``) and annotations (title, text, runbook,
  report, run). Alertmanager's own grouping, silences, inhibition and routing then apply. A
  firing alert carries an ``endsAt`` ``alertmanager_hold_h`` ahead (Alertmanager otherwise
  resolves an alert it has not heard of for ``resolve_timeout``, 5 minutes by default, and
  this pipeline speaks once a day). Like Prometheus, every run re-posts the alerts that
  still fire (``refresh_alertmanager``), so they stay firing there as long as here; every
  resolution is sent to Alertmanager (``notify_resolved`` or not: its receivers'
  ``send_resolved`` decides whom to tell), with ``endsAt`` now.
- **Apprise** (``ROTATION_APPRISE_URLS``: PagerDuty ``pagerduty://``, Opsgenie, Teams,
  Discord, JSON/form webhooks, ...): the digest as one notification. Apprise reports a failed
  service by returning False and logging, never by raising (STACK.md), so the result is
  checked and the captured log becomes the ``DeliveryError``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import duckdb
import requests

from alerts.channels import Channel, DeliveryError, Message, redact
from alerts.queries import ALERTS_SQL_DIR
from alerts.render import DigestContext, Event, console_text, digest_order, summary
from alerts.rules import AlertsError

log = logging.getLogger(__name__)

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


def refresh_alertmanager(
    con: duckdb.DuckDBPyConnection,
    channels: Sequence[Channel],
    as_of: dt.date,
    run_id: str,
    *,
    context: DigestContext | None = None,
) -> str:
    """Re-post the alerts still firing to Alertmanager (a heartbeat, not a notification).

    Not recorded in the outbox: the events were delivered once already; a failed refresh is
    logged and the next run refreshes again, well inside the hold.
    """
    from alerts.deliver import row_event  # the same row shape as pending events

    targets = [c for c in channels if isinstance(c, AlertmanagerChannel)]
    if not targets:
        return ""
    sql = (ALERTS_SQL_DIR / "alertmanager_firing.sql").read_text()
    events = [row_event(row) for row in con.execute(sql, {"run_id": run_id}).fetchall()]
    if not events:
        return "alertmanager: nothing firing to refresh"
    for channel in targets:
        try:
            for message in channel.messages(events, as_of, run_id, context=context):
                channel.send(message)
        except DeliveryError as exc:
            log.warning("alerts: refreshing firing alerts failed: %s", exc)
            return f"alertmanager: refresh of {len(events)} firing alert(s) failed ({exc})"
    return f"alertmanager: {len(events)} firing alert(s) refreshed"


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
