"""The dead man's switch: tell an outside monitor that a run started, succeeded or failed.

Alerts run inside the run, so a run that never happens (scheduler, worker or machine down)
or that dies silently alerts nobody. A heartbeat receiver outside the pipeline expects a
ping per scheduled run and raises the alarm itself when one is missing or says "fail". The
URLs follow the convention of healthchecks.io and its clones (Uptime Kuma push monitors,
Cronitor and Better Stack heartbeats accept the same shape):

- ``<url>/start`` when a run starts (the receiver can then also time the run),
- ``<url>`` when it succeeds,
- ``<url>/fail`` when it fails or is ended by its time limit.

The run's one-line outcome goes along as the request body (healthchecks shows it with the
ping). A ping that cannot be delivered is logged in one line and never fails the run: the
receiver notices the missing ping, which is the point.
"""

from __future__ import annotations

import logging
from typing import Literal

import requests

log = logging.getLogger(__name__)

Outcome = Literal["start", "success", "fail"]
SUFFIX: dict[str, str] = {"start": "/start", "success": "", "fail": "/fail"}
BODY_LIMIT = 10_000  # healthchecks keeps the first 10 kB of a ping body


def ping_url(url: str, outcome: Outcome) -> str:
    return url.rstrip("/") + SUFFIX[outcome]


def ping(url: str, outcome: Outcome, message: str = "", *, timeout_s: float = 10.0) -> bool:
    """POST ``message`` to the heartbeat URL for ``outcome``; True when the receiver took it.

    ``url`` empty means no heartbeat is configured: nothing is sent. Never raises.
    """
    if not url:
        return False
    target = ping_url(url, outcome)
    try:
        response = requests.post(
            target,
            data=message.encode("utf-8")[:BODY_LIMIT],
            headers={"User-Agent": "rotation-monitor heartbeat"},
            timeout=(timeout_s, timeout_s),
        )
    except requests.RequestException as exc:
        # requests' message repeats the URL: name the failure by its kind only.
        log.warning(
            "heartbeat %s ping to %s failed: %s", outcome, _redacted(target), type(exc).__name__
        )
        return False
    if response.status_code >= 400:
        log.warning(
            "heartbeat %s ping to %s answered HTTP %d",
            outcome,
            _redacted(target),
            response.status_code,
        )
        return False
    log.info("heartbeat %s ping delivered", outcome)
    return True


def _redacted(url: str) -> str:
    """The ping URL without its secret part (a healthchecks UUID works as a password)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/…" if rest else url
