"""Notifiers: console (+ JSON lines), Slack, SMTP e-mail, Alertmanager, Apprise.

Each channel has two steps: ``messages`` turns a digest of events into the messages it will
send (pure, via alerts/render.py) and ``send`` transmits one message and raises
``DeliveryError`` unless the other side accepted it. Keeping them apart lets the outbox mark a
message in flight between the two, and lets a failure stop at the message that failed.

Secrets (the webhook URL, the SMTP password) are held only by the channel objects: they are
left out of ``repr`` and scrubbed from every error message, because exception texts of HTTP
and SMTP libraries quote URLs and server replies and these end up in logs and the database.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import smtplib
import ssl
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import requests

from alerts.render import DigestContext, Event, console_text, email_message, slack_messages
from rotation.settings import AlertsSettings, Secrets

from .rules import AlertsError


class DeliveryError(RuntimeError):
    """The channel did not accept a message; the text is safe to log and store."""


@dataclass(frozen=True)
class Message:
    event_ids: tuple[str, ...]
    payload: Any
    description: str


def redact(text: str, secrets: Sequence[str]) -> str:
    """Replace every secret (and a URL secret's path, which alone is the credential)."""
    for secret in secrets:
        if not secret:
            continue
        text = text.replace(secret, "***")
        path = urlsplit(secret).path if "://" in secret else ""
        if len(path) > 1:
            text = text.replace(path, "/***")
    return text


class Channel(ABC):
    name: str = ""

    @abstractmethod
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
        """Render the digest of ``events`` into the messages this channel sends."""

    @abstractmethod
    def send(self, message: Message) -> str | None:
        """Transmit one message; return a note (e.g. a refused recipient) or None.

        Raises DeliveryError when the other side did not accept it.
        """

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class ConsoleChannel(Channel):
    """Prints the digest and appends one JSON object per event to a file (when a path is set)."""

    name = "console"

    def __init__(self, jsonl_path: str | Path | None = None, stream: TextIO | None = None):
        self.jsonl_path = Path(jsonl_path) if jsonl_path else None
        self.stream = stream

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
        text = console_text(events, as_of, run_id, test=test, context=context)
        if repeat_ids:
            text += "\n(possible repeat: an earlier send was interrupted before it was recorded)"
        lines = [
            json.dumps(
                {
                    "event_id": e.event_id,
                    "test": test,
                    "possible_repeat": e.event_id in repeat_ids,
                    "run_id": run_id,
                    "event_date": e.event_date.isoformat(),
                    "rule": e.rule,
                    "subject": e.subject,
                    "transition": e.transition,
                    "kind": e.kind,
                    "severity": e.severity,
                    "value": e.value,
                    "threshold": e.threshold,
                    "title": e.title,
                    "text": e.body_text,
                    "runbook_url": e.runbook_url or None,
                    "run_url": context.run_url or None if context else None,
                    "report": context.report or None if context else None,
                },
                ensure_ascii=False,
            )
            for e in events
        ]
        return [Message(tuple(e.event_id for e in events), (text, lines), "console digest")]

    def send(self, message: Message) -> str | None:
        text, lines = message.payload
        stream = self.stream or sys.stdout
        try:
            print(text, file=stream, flush=True)
            if self.jsonl_path is not None:
                self.jsonl_path.parent.mkdir(parents=True, exist_ok=True)
                with self.jsonl_path.open("a", encoding="utf-8") as fh:
                    fh.write("".join(line + "\n" for line in lines))
                    fh.flush()
                    os.fsync(fh.fileno())
        except OSError as exc:
            raise DeliveryError(f"console: cannot write: {exc}") from None
        return None


class SlackChannel(Channel):
    """Slack incoming webhook: Block Kit, ~1 message/s, 429 Retry-After honoured, 5xx retried."""

    name = "slack"

    def __init__(
        self,
        webhook_url: str,
        *,
        timeout_s: float = 10.0,
        min_interval_s: float = 1.0,
        max_attempts: int = 3,
        max_retry_after_s: float = 60.0,
        session: requests.Session | None = None,
    ):
        if urlsplit(webhook_url).scheme not in ("http", "https"):
            raise AlertsError("ROTATION_SLACK_WEBHOOK_URL must be an http(s) URL")
        self._url = webhook_url
        self.timeout_s = timeout_s
        self.min_interval_s = min_interval_s
        self.max_attempts = max_attempts
        self.max_retry_after_s = max_retry_after_s
        self._session = session
        self._last_post = 0.0

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
        payloads = slack_messages(
            events, as_of, run_id, repeat_ids=repeat_ids, test=test, context=context
        )
        return [
            Message(ids, payload, f"slack message {i}/{len(payloads)}")
            for i, (ids, payload) in enumerate(payloads, start=1)
        ]

    def _fail(self, text: str) -> DeliveryError:
        return DeliveryError("slack: " + redact(text, [self._url]))

    def send(self, message: Message) -> str | None:
        session = self._session or requests.Session()
        self._session = session
        body = json.dumps(message.payload).encode()
        last = ""
        for attempt in range(1, self.max_attempts + 1):
            pause = self._last_post + self.min_interval_s - time.monotonic()
            if pause > 0:  # Slack allows about one message per second per webhook
                time.sleep(pause)
            try:
                resp = session.post(
                    self._url,
                    data=body,
                    headers={"Content-Type": "application/json; charset=utf-8"},
                    timeout=(min(5.0, self.timeout_s), self.timeout_s),
                    allow_redirects=False,
                )
            except requests.Timeout:
                # Slack may have accepted it: do not retry now; the outbox re-sends next run.
                raise self._fail(f"no answer within {self.timeout_s:g}s") from None
            except requests.RequestException as exc:
                raise self._fail(f"cannot reach the webhook ({type(exc).__name__})") from None
            finally:
                self._last_post = time.monotonic()
            if resp.status_code == 200:
                return None
            reply = " ".join(resp.text[:200].split())
            last = f"HTTP {resp.status_code} {reply}".strip()
            if resp.status_code == 429:
                wait = _retry_after(resp.headers.get("Retry-After"))
                if wait > self.max_retry_after_s or attempt == self.max_attempts:
                    raise self._fail(f"rate limited (HTTP 429, Retry-After {wait:g}s)")
                time.sleep(wait)
                continue
            if resp.status_code >= 500 and attempt < self.max_attempts:
                time.sleep(min(0.5 * 2 ** (attempt - 1), 5.0))
                continue
            raise self._fail(f"webhook refused the message: {last}")
        raise self._fail(f"gave up after {self.max_attempts} attempts: {last}")


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except ValueError:
        return 1.0


class EmailChannel(Channel):
    """SMTP: implicit TLS on 465, STARTTLS on 587 (required), plain elsewhere (local relay)."""

    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        recipients: Sequence[str],
        user: str = "",
        password: str = "",
        security: str = "auto",
        timeout_s: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        chart: Callable[[dt.date], bytes | None] | None = None,
    ):
        """``chart(as_of)`` returns the headline chart PNG to embed (the composition root
        passes ``reporting.headline_chart_png`` bound to a connection), or None."""
        if security == "auto":
            security = {465: "ssl", 587: "starttls"}.get(port, "plain")
        if security not in ("ssl", "starttls", "plain"):
            raise AlertsError(
                f"[alerts] smtp_security {security!r}: use auto, ssl, starttls, plain"
            )
        self.host, self.port, self.security = host, port, security
        self.sender = sender
        self.recipients = tuple(recipients)
        self.user = user
        self._password = password
        self.timeout_s = timeout_s
        self._ssl_context = ssl_context
        self.chart = chart

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
        msg = email_message(
            events,
            as_of,
            run_id,
            sender=self.sender,
            recipients=self.recipients,
            repeat_ids=repeat_ids,
            test=test,
            chart_png=self.chart(as_of) if self.chart is not None else None,
            context=context,
        )
        return [Message(tuple(e.event_id for e in events), msg, "e-mail digest")]

    def send(self, message: Message) -> str | None:
        where = f"e-mail via {self.host}:{self.port} ({self.security})"
        context = self._ssl_context or ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if self.security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout_s, context=context
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
            with smtp:
                smtp.ehlo()
                if self.security == "starttls":
                    if not smtp.has_extn("starttls"):
                        raise DeliveryError(
                            f"{where}: the server does not offer STARTTLS; refusing to send "
                            "in clear (set smtp_security = 'plain' for a local relay)"
                        )
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self._password)
                refused = smtp.send_message(
                    message.payload, from_addr=self.sender, to_addrs=list(self.recipients)
                )
        except DeliveryError:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            detail = redact(" ".join(str(exc).split()), [self._password])
            raise DeliveryError(f"{where}: {type(exc).__name__}: {detail}"[:500]) from None
        if refused:  # accepted for the others: re-sending would duplicate their copies
            return "refused recipient(s): " + ", ".join(sorted(refused))
        return None


def build_channels(
    alerts: AlertsSettings, secrets: Secrets, *, stream: TextIO | None = None
) -> list[Channel]:
    """The configured channels; console when none is configured.

    A channel that is listed but lacks its settings or secret is an error naming what is
    missing, rather than alerts that silently go nowhere.
    """
    channels: list[Channel] = []
    for name in dict.fromkeys(alerts.channels or ("console",)):
        if name == "console":
            channels.append(ConsoleChannel(alerts.console_jsonl_path or None, stream))
        elif name == "slack":
            if not secrets.slack_webhook_url:
                raise AlertsError(
                    "[alerts] channels lists slack but ROTATION_SLACK_WEBHOOK_URL is not set"
                )
            channels.append(
                SlackChannel(
                    secrets.slack_webhook_url,
                    timeout_s=alerts.slack_timeout_s,
                    min_interval_s=alerts.slack_min_interval_s,
                )
            )
        elif name == "email":
            missing = [
                key
                for key, value in (
                    ("smtp_host", alerts.smtp_host),
                    ("smtp_from", alerts.smtp_from),
                    ("smtp_to", alerts.smtp_to),
                )
                if not value
            ]
            if missing:
                raise AlertsError(f"[alerts] channels lists email but {', '.join(missing)} unset")
            if alerts.smtp_user and not secrets.smtp_password:
                raise AlertsError(
                    "[alerts] smtp_user is set but ROTATION_SMTP_PASSWORD is not in the environment"
                )
            channels.append(
                EmailChannel(
                    alerts.smtp_host,
                    alerts.smtp_port,
                    sender=alerts.smtp_from,
                    recipients=alerts.smtp_to,
                    user=alerts.smtp_user,
                    password=secrets.smtp_password,
                    security=alerts.smtp_security,
                    timeout_s=alerts.smtp_timeout_s,
                )
            )
        elif name == "alertmanager":
            from alerts.bridges import AlertmanagerChannel

            if not alerts.alertmanager_url:
                raise AlertsError("[alerts] channels lists alertmanager but alertmanager_url unset")
            channels.append(
                AlertmanagerChannel(
                    alerts.alertmanager_url,
                    timeout_s=alerts.alertmanager_timeout_s,
                    hold_h=alerts.alertmanager_hold_h,
                )
            )
        elif name == "apprise":
            from alerts.bridges import AppriseChannel

            channels.append(AppriseChannel(secrets.apprise_urls))
        else:
            raise AlertsError(
                f"[alerts] channels: unknown channel {name!r} "
                "(console, slack, email, alertmanager, apprise)"
            )
    return channels


def test_event() -> Event:
    """A clearly marked test alert, so `rotation alerts test` exercises the real formatting."""
    from alerts.render import EventContent, render_html, render_slack_block, render_text

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
