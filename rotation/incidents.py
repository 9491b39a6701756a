"""Data incidents: damage a run saw and contained, recorded once per incident in ``ops.incidents``.

Trust needs the damage to be *visible* as well as contained. A file that could not be read, a
symbol that delivered nothing, a price level shift held back, a failed audit or a source that
timed out each becomes one incident naming the source, the subject (symbol, file, series,
audit) and one line for the user. A later run that sees the same damage again only refreshes
it, so the data-quality alert built on this table fires once per incident, not once per run;
a run that checked and no longer sees it resolves it.

Every stage package may write here (it is the core), always inside the stage's own
transaction, so an incident is recorded together with the batch that revealed it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import duckdb

from rotation.sql import read as read_sql


@dataclass(frozen=True)
class Incident:
    """One kind of damage to one subject of one source, as a stage saw it."""

    source: str  # prices, edgar, nasdaq, fred, audits, run, ...
    subject: str  # a symbol, a file, a series, an audit, or the source itself
    kind: str  # short machine-readable kind: file_unreadable, no_rows, level_shift, ...
    detail: str  # one line for the user, naming the file or value and the reason

    def line(self) -> str:
        return f"{self.source} {self.subject}: {self.detail}"


def record(
    con: duckdb.DuckDBPyConnection,
    incident: Incident,
    *,
    run_id: str,
    session: dt.date | None,
    seen_at: dt.datetime | None = None,
) -> bool:
    """Record ``incident`` for ``run_id``; True when it is new, False when it was already open."""
    seen_at = seen_at or dt.datetime.now(dt.UTC)
    key = {"source": incident.source, "subject": incident.subject, "kind": incident.kind}
    row = con.execute(read_sql("ops/incident_open.sql"), key).fetchone()
    if row is not None:
        con.execute(
            read_sql("ops/incident_seen_again.sql"),
            {"incident_id": row[0], "run_id": run_id, "seen_at": seen_at,
             "detail": incident.detail},
        )  # fmt: skip
        return False
    digest = hashlib.sha256(
        "\x1f".join([incident.source, incident.subject, incident.kind, run_id]).encode()
    ).hexdigest()[:16]
    con.execute(
        read_sql("ops/incident_insert.sql"),
        {**key, "incident_id": digest, "detail": incident.detail, "session": session,
         "run_id": run_id, "seen_at": seen_at},
    )  # fmt: skip
    return True


def record_all(
    con: duckdb.DuckDBPyConnection,
    incidents: Iterable[Incident],
    *,
    run_id: str,
    session: dt.date | None,
) -> list[Incident]:
    """Record each incident; return the ones that are new (the ones worth telling about)."""
    return [i for i in incidents if record(con, i, run_id=run_id, session=session)]


def resolve_unseen(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    kinds: Iterable[str],
    run_id: str,
    seen_at: dt.datetime | None = None,
    subjects: Iterable[str] | None = None,
) -> list[tuple[str, str, str]]:
    """Resolve the open incidents of ``source`` and ``kinds`` that this run did not see again.

    Call it after the stage has recorded everything it saw, with only the kinds the stage
    checked: a stage that did not look (a source skipped) must not resolve anything.
    ``subjects`` narrows it to the subjects the stage checked (None: all of the source's).
    Returns (incident_id, subject, kind) of each incident resolved.
    """
    if subjects is not None:
        return resolve_checked(
            con, source=source, kinds=kinds, subjects=subjects, run_id=run_id, seen_at=seen_at
        )
    rows = con.execute(
        read_sql("ops/incident_resolve_unseen.sql"),
        {"source": source, "kinds": sorted(set(kinds)), "run_id": run_id,
         "seen_at": seen_at or dt.datetime.now(dt.UTC)},
    ).fetchall()  # fmt: skip
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def open_incidents(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every open incident, newest first, as JSON-friendly rows: what ``rotation status`` shows."""
    cursor = con.execute(read_sql("ops/incidents_open_list.sql"))
    names = [d[0] for d in cursor.description or ()]
    return [
        {
            k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in zip(names, row, strict=True)
        }
        for row in cursor.fetchall()
    ]


def resolve_checked(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    kinds: Iterable[str],
    subjects: Iterable[str],
    run_id: str,
    seen_at: dt.datetime | None = None,
) -> list[tuple[str, str, str]]:
    """``resolve_unseen`` for the ``subjects`` this run checked only (files, symbols, series).

    For stages that look at part of a source per run: the incident of a file that was not
    read this time stays open until a run reads it again and finds it whole.
    """
    wanted = sorted(set(subjects))
    if not wanted:
        return []
    rows = con.execute(
        read_sql("ops/incident_resolve_checked.sql"),
        {"source": source, "kinds": sorted(set(kinds)), "subjects": wanted, "run_id": run_id,
         "seen_at": seen_at or dt.datetime.now(dt.UTC)},
    ).fetchall()  # fmt: skip
    return [(str(a), str(b), str(c)) for a, b, c in rows]
