"""The Slack channel: an incoming webhook (``ROTATION_SLACK_WEBHOOK_URL``), Block Kit messages
rendered by alerts/render.py, Slack's rate limit honoured."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from typing import TextIO
from urllib.parse import urlsplit

import requests

from alerts.channels.base import Channel, DeliveryError, Message, redact
from alerts.events import Event
from alerts.render import DigestContext, slack_messages
from alerts.rules import AlertsError
from rotation.settings import AlertsSettings, Secrets


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


def build(alerts: AlertsSettings, secrets: Secrets, *, stream: TextIO | None = None) -> Channel:
    if not secrets.slack_webhook_url:
        raise AlertsError("[alerts] channels lists slack but ROTATION_SLACK_WEBHOOK_URL is not set")
    return SlackChannel(
        secrets.slack_webhook_url,
        timeout_s=alerts.slack_timeout_s,
        min_interval_s=alerts.slack_min_interval_s,
    )
