"""The alert event, and the one place that maps it to and from an ``alerts.events`` row.

Rows are mapped by column name, never by position: the statements that read events
(``sql/alerts/events/pending.sql``, ``sql/alerts/alertmanager_firing.sql``) may add or reorder
columns without silently shifting every field after the change, and the insert binds named
parameters (``$event_id``, ...) built from the same field list.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from alerts.rules import SEVERITIES


def event_id(*parts: object) -> str:
    """Hash of what makes an event itself (rule, subject, session, transition[, run])."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Event:
    """One transition of one rule for one subject, as stored in the outbox."""

    event_id: str
    rule: str
    subject: str
    event_date: dt.date
    transition: str  # fired | reminder | resolved
    kind: str
    severity: str
    value: float | None
    threshold: float | None
    title: str
    body_text: str = ""
    body_html: str = ""
    slack_block: dict[str, Any] = field(default_factory=dict)
    channels: tuple[str, ...] = ()
    suppressed: bool = False
    run_id: str = ""
    muted_by: str | None = None  # why it is recorded but not sent: a silence or an inhibition
    silence_id: str | None = None
    runbook_url: str = ""
    started_on: dt.date | None = None  # when the rule fired (for reminders and resolutions)

    @property
    def severity_rank(self) -> int:
        return SEVERITIES.index(self.severity) if self.severity in SEVERITIES else -1

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Event:
        """An event from an ``alerts.events`` row read by column name.

        Columns the event has no field for (``in_flight``, ``created_at``) are ignored;
        optional ones a statement does not select keep their defaults.
        """
        missing = [name for name in _REQUIRED if name not in row]
        if missing:
            raise KeyError(f"an alerts.events row lacks column(s) {', '.join(missing)}")
        values = {name: row[name] for name in EVENT_COLUMNS if name in row}
        block = values.get("slack_block")
        if isinstance(block, str):  # DuckDB hands a JSON column back as its text
            values["slack_block"] = json.loads(block)
        if "channels" in values:
            values["channels"] = tuple(values["channels"] or ())
        if "runbook_url" in values:
            values["runbook_url"] = values["runbook_url"] or ""
        return cls(**values)

    def to_row(self) -> dict[str, Any]:
        """The named parameters of ``sql/alerts/events/insert.sql``, one per column."""
        row = {name: getattr(self, name) for name in EVENT_COLUMNS}
        row["slack_block"] = json.dumps(self.slack_block)
        row["channels"] = list(self.channels)
        row["runbook_url"] = self.runbook_url or None
        return row


# The columns of alerts.events the Event carries, in the dataclass's field order.
EVENT_COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Event))
_REQUIRED = tuple(
    f.name
    for f in dataclasses.fields(Event)
    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
)


def fetch_rows(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every row of an executed statement as a column-name -> value mapping."""
    names = [column[0] for column in cursor.description or ()]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
