"""Sessions the calendar expected but the store does not hold: vendor gaps, reported not hidden.

Yahoo silently omits a day now and then, and a failed ticker comes back as nothing at all.
After a batch loads, every requested symbol is checked against the NYSE sessions of the
requested window (from the symbol's first stored session on, so a fund that did not exist yet
is not "missing", and from 1970 on, where the calendar is reliable). A symbol with no stored
row at all is reported once as a missing symbol by the fetch, not session by session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pandas as pd

from rotation import calendar
from rotation.sql import read as read_sql


def missing_sessions(
    con: duckdb.DuckDBPyConnection,
    symbols: Sequence[str],
    start: dt.date,
    end: dt.date,
) -> pd.DataFrame:
    """(symbol, date) for every expected session in ``[start, end]`` with no stored row."""
    first = max(start, calendar.RELIABLE_FROM)
    expected = pd.DataFrame({"date": [pd.Timestamp(d) for d in calendar.sessions(first, end)]})
    if expected.empty or not symbols:
        return pd.DataFrame({"symbol": pd.Series(dtype=str), "date": pd.Series(dtype="object")})
    wanted = pd.DataFrame({"symbol": list(symbols)})
    con.register("expected_sessions", expected)
    con.register("wanted_symbols", wanted)
    try:
        return con.execute(read_sql("ops/missing_sessions_find.sql")).df()
    finally:
        con.unregister("expected_sessions")
        con.unregister("wanted_symbols")


def record_missing(con: duckdb.DuckDBPyConnection, run_id: str, gaps: pd.DataFrame) -> None:
    if gaps.empty:
        return
    rows = gaps.assign(run_id=run_id)[["run_id", "symbol", "date"]]
    con.register("gap_rows", rows)
    try:
        con.execute(read_sql("ops/missing_sessions_record.sql"))
    finally:
        con.unregister("gap_rows")


def summarise(gaps: pd.DataFrame, limit: int = 5) -> list[str]:
    """One readable line per symbol: how many sessions are missing, and the first few."""
    lines = []
    for symbol, group in gaps.groupby("symbol"):
        dates = [pd.Timestamp(d).date().isoformat() for d in group["date"].head(limit)]
        more = f" and {len(group) - limit} more" if len(group) > limit else ""
        lines.append(f"{symbol}: {len(group)} session(s) missing: {', '.join(dates)}{more}")
    return lines
