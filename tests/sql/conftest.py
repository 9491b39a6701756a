"""Helpers for the SQL model tests: hand-made prices in, the runner's build, rows out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb
import pytest

from rotation.settings import Pair
from transforms import build_models, sync_pairs

PriceRow = tuple[str, str, float]  # (symbol, 'YYYY-MM-DD', adjusted close)
REPO = Path(__file__).resolve().parents[2]
# The price models; other engineers' models (deal flow, macro) have their own tests, and these
# tests build from a folder holding only these files so they stay independent of them.
PRICE_MODELS = (
    "staging/prices.sql",
    "staging/daily_returns.sql",
    "staging/pair_returns.sql",
    "marts/returns.sql",
    "marts/calendar_year_returns.sql",
    "marts/cumulative_return.sql",
    "marts/risk.sql",
    "marts/relative_strength.sql",
    "marts/pair_risk.sql",
    "marts/latest_indicators.sql",
)


def insert_prices(con: duckdb.DuckDBPyConnection, rows: Iterable[PriceRow]) -> None:
    """Insert (symbol, date, value) rows into raw.prices; close = adj_close unless a test
    needs them apart, the bookkeeping columns get fixed test values."""
    rows = list(rows)
    if not rows:
        return
    con.executemany(
        """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
                                   adjustment, source, fetched_at, run_id)
           values (?, ?, ?, ?, ?, 'raw', 'test', ?, 'test')""",
        [
            (symbol, dt.date.fromisoformat(day), value, value, value, dt.datetime(2026, 1, 1))
            for symbol, day, value in rows
        ],
    )


def series(symbol: str, start: str, values: Iterable[float]) -> list[PriceRow]:
    """Consecutive calendar days from start (weekends too: the SQL has no calendar)."""
    first = dt.date.fromisoformat(start)
    return [(symbol, (first + dt.timedelta(days=i)).isoformat(), v) for i, v in enumerate(values)]


@pytest.fixture
def build_prices(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> Callable[..., duckdb.DuckDBPyConnection]:
    """Load rows and pairs ("SMALL/LARGE"), run the real runner over the price models (linked
    from sql/ into a temporary folder), return the connection."""
    sql_dir = tmp_path / "sql"
    for model in PRICE_MODELS:
        (sql_dir / model).parent.mkdir(parents=True, exist_ok=True)
        (sql_dir / model).symlink_to(REPO / "sql" / model)

    def _build(rows: Iterable[PriceRow], pairs: Iterable[str] = ()) -> duckdb.DuckDBPyConnection:
        insert_prices(con, rows)
        sync_pairs(con, [Pair.parse(p) for p in pairs])
        build_models(con, sql_dir)
        return con

    return _build


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    """Rows as dicts, so assertions name their columns."""
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
