"""Bookkeeping of pipeline runs in ``ops.runs``: what each run fetched, loaded, quarantined, built.

A run row is written as ``running`` when it starts and completed at the end. A process killed
in between leaves ``running`` behind; the next run marks such rows ``interrupted`` so
``rotation status`` never shows a dead run as still going.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb

from rotation.sql import read as read_sql


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, flow: str, as_of: dt.date | None) -> int:
    """Record a new run; return how many dead runs were marked interrupted."""
    stale = con.execute(
        read_sql("ops/runs_mark_interrupted.sql"),
        [run_id],
    ).fetchall()
    con.execute(
        read_sql("ops/run_start.sql"),
        [run_id, flow, as_of, now_utc()],
    )
    return len(stale)


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    status: str,
    message: str,
    fetched_rows: int = 0,
    loaded_rows: int = 0,
    quarantined_rows: int = 0,
    built_models: int = 0,
    details: dict[str, Any] | None = None,
) -> None:
    con.execute(
        read_sql("ops/run_finish.sql"),
        [
            now_utc(),
            status,
            message,
            fetched_rows,
            loaded_rows,
            quarantined_rows,
            built_models,
            json.dumps(details or {}, default=str),
            run_id,
        ],
    )
