"""What every channel is: ``messages`` (pure rendering) then ``send`` (one transmission).

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
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from alerts.events import Event
from alerts.render import DigestContext


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
