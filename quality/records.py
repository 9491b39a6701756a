"""Writing what validation decided: quarantined rows and one ``ops.validation_runs`` row.

Quarantined rows keep every value as received (as JSON) with the reason, so nothing a source
delivered is lost, and a person can see exactly why a row was held back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from quality.suite import BatchVerdict
from rotation.sql import read as read_sql


def _jsonable(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    return value


def quarantine_rows(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    source: str,
    rows: pd.DataFrame,
    key_columns: Sequence[str],
    reason_column: str = "reason",
) -> int:
    """Append ``rows`` (values plus a reason column) to ``ops.quarantine``; return the count."""
    if rows.empty:
        return 0
    values = rows.drop(columns=[reason_column])
    records = []
    for (_, row), reason in zip(values.iterrows(), rows[reason_column], strict=True):
        raw = {str(k): _jsonable(v) for k, v in row.items()}
        key = "|".join(str(raw.get(c)) for c in key_columns)
        records.append((run_id, source, key, str(reason), json.dumps(raw)))
    con.executemany(
        read_sql("ops/quarantine_insert.sql"),
        records,
    )
    return len(records)


def record_validation(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    source: str,
    suite: str,
    rows_in: int,
    rows_passed: int,
    rows_quarantined: int,
    batch_ok: bool,
    message: str,
    results: Any = None,
) -> None:
    con.execute(
        read_sql("ops/validation_run_record.sql"),
        [
            run_id,
            source,
            suite,
            rows_in,
            rows_passed,
            rows_quarantined,
            batch_ok,
            message,
            json.dumps(results, default=str) if results is not None else None,
        ],
    )


def quarantine_problems(
    con: duckdb.DuckDBPyConnection, *, run_id: str, source: str, problems: pd.DataFrame
) -> int:
    """Append a parser's rejected lines (``natural_key``, ``reason``, ``raw_values`` JSON)."""
    if problems.empty:
        return 0
    rows = [
        (run_id, source, str(key), str(reason), raw if isinstance(raw, str) else json.dumps(raw))
        for key, reason, raw in problems[["natural_key", "reason", "raw_values"]].itertuples(
            index=False
        )
    ]
    con.executemany(
        read_sql("ops/quarantine_insert.sql"),
        rows,
    )
    return len(rows)


def record_verdict(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    source: str,
    suite: str,
    verdict: BatchVerdict,
    rows_in: int,
    key_columns: Sequence[str],
    problems: pd.DataFrame | None = None,
    message: str | None = None,
) -> int:
    """Write what validation decided for one batch: the parser's rejects and the rows that
    failed (``ops.quarantine``) and one ``ops.validation_runs`` row; return how many rows
    were quarantined.

    Call inside the transaction that loads the batch's good rows, so the quarantine, the
    record and the load commit together or not at all.
    """
    quarantined = 0
    if problems is not None:
        quarantined = quarantine_problems(con, run_id=run_id, source=source, problems=problems)
    quarantined += quarantine_rows(
        con, run_id=run_id, source=source, rows=verdict.quarantined, key_columns=key_columns
    )
    record_validation(
        con,
        run_id=run_id,
        source=source,
        suite=suite,
        rows_in=rows_in,
        rows_passed=len(verdict.good),
        rows_quarantined=quarantined,
        batch_ok=verdict.batch_ok,
        message=verdict.message if message is None else message,
        results={"checks": verdict.result.checks},
    )
    return quarantined
