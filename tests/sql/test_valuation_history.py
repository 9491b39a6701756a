"""Before a fund's first snapshot, that snapshot stands in on month-end sessions (by hand).

The funds of tests/sql/test_fund_valuation.py (first snapshot 2025-01-02), with sessions
stored before it: 2024-10-31, 2024-11-29, 2024-12-30 and 2024-12-31. A's quarterly EPS is 0.2
in 2023 and 0.25 in 2024, each quarter filed 40 days after it ends. On 2024-10-31 the Q3 2024
10-Q (filed 2024-11-09) is not out: TTM = 0.2 + 0.2 + 0.25 + 0.25 = 0.9, P/E ex losses =
10 / 0.9; from 2024-11-29 it is: TTM = 0.2 + 3 * 0.25 = 0.95, P/E = 10 / 0.95. 2024-12-30 is
not a month end and gets no row.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from tests.sql.test_fund_valuation import _setup
from transforms import build_models

EARLIER = ("2024-10-31", "2024-11-29", "2024-12-30", "2024-12-31")


def _rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "select session, stand_in, holdings_as_of, pe_ex_losses from marts.fund_valuation"
        " where fund = 'IWM' and session < '2025-03-01' order by session"
    ).fetchall()


def test_the_first_snapshot_stands_in_on_month_ends(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    con.executemany(
        """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
               adjustment, source, fetched_at, run_id)
           values ('IWM', ?, 1, 1, 1, 'raw', 't', '2025-01-01', 't')""",
        [(d,) for d in EARLIER],
    )
    _setup(con, tmp_path)
    first = dt.date(2025, 1, 2)
    assert _rows(con) == [
        (dt.date(2024, 10, 31), True, first, pytest.approx(10 / 0.9)),
        (dt.date(2024, 11, 29), True, first, pytest.approx(10 / 0.95)),
        (dt.date(2024, 12, 31), True, first, pytest.approx(10 / 0.95)),
        (dt.date(2025, 1, 2), False, first, pytest.approx(10 / 0.95)),
    ]
    con.execute("update ops.valuation_history set history_start = '2024-11-01'")
    build_models(con, tmp_path / "sql")
    assert [r[0] for r in _rows(con)][:1] == [dt.date(2024, 11, 29)]
