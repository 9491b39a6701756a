"""The report's reads: one SQL file per query under ``sql/reporting/``, values as parameters.

The report must work at every stage of the project and of a deployment: before the first
EDGAR run, on a database built before a mart existed, on a replay without the Russell 1000
index. So a query whose table or column is absent does not fail the report: it comes back as
``Unavailable`` with DuckDB's reason, and the chart that needed it says "no data yet" and why.
Only "does not exist" errors are caught; a syntax error in a file here is a bug and raises.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeAlias

import duckdb
import pandas as pd

from rotation.sql import read as read_sql


@dataclass(frozen=True)
class Unavailable:
    """A query could not run because what it reads is not there (yet)."""

    query: str
    reason: str
    column: bool = False  # a column is missing (an older build of the table), not the table

    def __str__(self) -> str:
        return f"{self.reason} ({self.query})"

    def explain(self, what: str) -> str:
        if self.column:
            return f"{self.reason}: {what} is from an older build; the next run rebuilds it"
        return f"{self.reason}: {what} is not built yet"


Result: TypeAlias = pd.DataFrame | Unavailable


def _reason(exc: duckdb.Error) -> str:
    """DuckDB's first line, without the "Catalog Error:" prefix (the user needs the name)."""
    line = str(exc).strip().splitlines()[0]
    return line.split(": ", 1)[1] if ": " in line else line


def _absent(exc: duckdb.Error) -> bool:
    """A table, view or column that does not exist, as opposed to a bug in the query.

    DuckDB raises ``BinderException`` for a missing column and for wrong parameters alike;
    only the first may become a "no data yet" panel.
    """
    if isinstance(exc, duckdb.CatalogException):
        return True
    return isinstance(exc, duckdb.BinderException) and "not found in FROM clause" in str(exc)


def run_query(con: duckdb.DuckDBPyConnection, name: str, params: list[object]) -> Result:
    """Run ``sql/reporting/<name>.sql``; a missing table or column gives ``Unavailable``."""
    try:
        frame = con.execute(read_sql(f"reporting/{name}.sql"), params).df()
    except (duckdb.CatalogException, duckdb.BinderException) as exc:
        if not _absent(exc):
            raise
        column = isinstance(exc, duckdb.BinderException)
        return Unavailable(f"sql/reporting/{name}.sql", _reason(exc), column)
    for column in frame.columns:
        if column == "date" or column.endswith(("_date", "month_start")):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def window(con: duckdb.DuckDBPyConnection, name: str, start: dt.date, end: dt.date) -> Result:
    """A query over the sessions ``start`` to ``end`` (its ``$1`` and ``$2``)."""
    return run_query(con, name, [start, end])


def last_session(con: duckdb.DuckDBPyConnection, as_of: dt.date | None) -> dt.date | None:
    """The last session with indicators on or before ``as_of`` (any, when None)."""
    result = run_query(con, "last_session", [as_of or dt.date.max])
    if isinstance(result, Unavailable) or result.empty or pd.isna(result["date"].iloc[0]):
        return None
    return pd.Timestamp(result["date"].iloc[0]).date()
