"""The console channel: the digest on stdout, and one JSON object per event appended to a file
(``[alerts] console_jsonl_path``) that log shippers and tests read."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from alerts.channels.base import Channel, DeliveryError, Message
from alerts.events import Event
from alerts.render import DigestContext, console_text
from rotation.settings import AlertsSettings, Secrets


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


def build(alerts: AlertsSettings, secrets: Secrets, *, stream: TextIO | None = None) -> Channel:
    return ConsoleChannel(alerts.console_jsonl_path or None, stream)
