"""Reading and writing the outbox tables: rule states and events (SQL in ``sql/alerts/``).

One module for the rows both writers share, ``alerts/outbox.py`` (rule crossings) and
``alerts/pipeline_events.py`` (failed and recovered runs), so an event or a state is written
one way whoever produced it.
"""

from __future__ import annotations

import dataclasses

import duckdb

from alerts.events import Event, fetch_rows
from alerts.state import RuleState
from rotation import sql


def load_states(con: duckdb.DuckDBPyConnection, rule: str) -> dict[str, RuleState]:
    """The stored state machine of ``rule`` per subject."""
    rows = fetch_rows(con.execute(sql.read("alerts/state/load.sql"), {"rule": rule}))
    return {row.pop("subject"): RuleState(**row) for row in rows}


def write_state(con: duckdb.DuckDBPyConnection, rule: str, subject: str, s: RuleState) -> None:
    params = {"rule": rule, "subject": subject, **dataclasses.asdict(s)}
    con.execute(sql.read("alerts/state/upsert.sql"), params)


def insert_event(con: duckdb.DuckDBPyConnection, event: Event) -> bool:
    """Store ``event`` unless its id is known; True when this call stored it."""
    return bool(con.execute(sql.read("alerts/events/insert.sql"), event.to_row()).fetchall())
