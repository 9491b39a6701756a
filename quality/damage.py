"""Damage a stage contained, as incidents: what to record, and what a run may call healed.

A damaged file, a symbol or series that delivered nothing, an index cut short, a batch whose
load failed: each stays inside its symbol or source (the rest of the run loads) and becomes one
``ops.incidents`` row naming the file or value and the reason, written in the same transaction
as the batch that revealed it. The data-quality rule ``data_incident`` turns each new incident
into one alert; ``rotation status`` and the run summary list the open ones.

An incident is resolved only by a run that *checked* the same thing again and found it whole:
each stage passes the kinds and subjects it looked at (``Checked``), never more. A source that
was skipped checked nothing, a backfill quarter checked its own file only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from rotation import incidents
from rotation.incidents import Incident
from rotation.sql import read as read_sql

# Kinds of damage (ops.incidents.kind).
NO_DATA = "no_data"  # a configured symbol, series or calendar month delivered nothing
FILE_UNREADABLE = "file_unreadable"  # a file came but is not in a layout we read
ROWS_QUARANTINED = "rows_quarantined"  # some rows of a file failed their checks
SHORT_INDEX = "short_index"  # an EDGAR daily index with implausibly few rows
INCOMPLETE_FETCH = "incomplete_fetch"  # the source stopped the fetch early (SEC throttle)
UNAVAILABLE = "unavailable"  # the source could not be reached at all
LOAD_FAILED = "load_failed"  # validation or the load of the batch raised; nothing loaded

# Errors that bad data can raise while a batch is validated and loaded (a value DuckDB cannot
# cast, a frame of an unexpected shape). They fail the batch of one source, not the run;
# anything else (a bug, a locked database) still fails the run.
CONTAINED_ERRORS: tuple[type[BaseException], ...] = (
    duckdb.Error,
    ValueError,
    TypeError,
    KeyError,
    OverflowError,
)


def one_line(exc: BaseException, limit: int = 300) -> str:
    """The error's own first line (DuckDB names the value and the column), without traceback."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Checked:
    """What a stage looked at this run: subjects per kind, and the incidents it saw."""

    source: str
    seen: list[Incident] = field(default_factory=list)
    subjects: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    whole_kinds: set[str] = field(default_factory=set)  # kinds checked for every subject

    def looked_at(self, kind: str, subjects: Iterable[str]) -> None:
        self.subjects[kind].update(str(s) for s in subjects)

    def looked_at_all(self, kind: str) -> None:
        """Every incident of ``kind`` not seen this run is over, whatever its subject: for
        subjects that leave the window (a calendar month), which no later run reads again."""
        self.whole_kinds.add(kind)

    def saw(self, subject: str, kind: str, detail: str) -> None:
        self.seen.append(Incident(self.source, str(subject), kind, " ".join(detail.split())))
        self.subjects[kind].add(str(subject))


def record_checked(
    con: duckdb.DuckDBPyConnection, checked: Checked, *, run_id: str, session: dt.date | None
) -> tuple[list[Incident], list[str]]:
    """Record what was seen, resolve what was checked and not seen; (new incidents, lines).

    Call inside the stage's transaction. ``lines`` has one line per incident seen this run,
    new or still open, for the run summary.
    """
    new = incidents.record_all(con, checked.seen, run_id=run_id, session=session)
    for kind, subjects in checked.subjects.items():
        if kind not in checked.whole_kinds:
            incidents.resolve_checked(
                con, source=checked.source, kinds=[kind], subjects=subjects, run_id=run_id
            )
    if checked.whole_kinds:
        incidents.resolve_unseen(
            con, source=checked.source, kinds=checked.whole_kinds, run_id=run_id
        )
    return new, [i.line() for i in checked.seen]


def quarantined_files(
    checked: Checked, frames: Iterable[tuple[pd.DataFrame, str, str]], files: Iterable[str]
) -> None:
    """One ``rows_quarantined`` incident per file with quarantined rows.

    ``frames`` are (rows, file column, reason column) of what the parser rejected and what
    validation quarantined; ``files`` every file the batch read (the ones without quarantined
    rows are checked and whole).
    """
    counts: dict[str, int] = defaultdict(int)
    first: dict[str, str] = {}
    for frame, file_column, reason_column in frames:
        if frame is None or frame.empty or file_column not in frame:
            continue
        for file, reason in zip(frame[file_column], frame[reason_column], strict=True):
            counts[str(file)] += 1
            first.setdefault(str(file), str(reason))
    checked.looked_at(ROWS_QUARANTINED, files)
    for file, n in sorted(counts.items()):
        checked.saw(file, ROWS_QUARANTINED, f"{n} row(s) quarantined; first: {first[file]}")


def run_context(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[str | None, dt.date | None]:
    """(flow, session) of ``run_id`` from ``ops.runs``; (None, None) for a stage run alone."""
    sql = read_sql("ops/run_context.sql")
    row = con.execute(sql, {"run_id": run_id}).fetchone()
    return (row[0], row[1]) if row else (None, None)
