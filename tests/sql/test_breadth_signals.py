"""marts.breadth_signals on a hand-made marts.breadth: thrusts and divergences worked by hand.

Settings: thrust from below 0.25 to above 0.75 within 3 sessions; divergence over 2 sessions
with a drop of at least 0.05 in the 200-session share.

| n | share50 | share200 | value | thrust (min of the 3 before)  | divergence (2 sessions)     |
|---|---------|----------|-------|-------------------------------|-----------------------------|
| 1 | 0.5     | 0.60     | 100   | 0 (none before)               | NULL                        |
| 2 | 0.2     | 0.60     | 101   | 0                             | NULL                        |
| 3 | 0.4     | 0.54     | 102   | 0                             | 1 (up 2 %, share -0.06)     |
| 4 | 0.6     | 0.50     | 103   | 0                             | 1 (up, -0.10)               |
| 5 | 0.8     | 0.50     | 104   | 1 (0.2 among 0.2, 0.4, 0.6)   | 0 (-0.04)                   |
| 6 | 0.9     | 0.50     | 105   | 0 (0.4 is the lowest before)  | 0 (0)                       |
| 7 | 0.3     | 0.60     | 106   | 0                             | 0 (share up)                |
| 8 | 0.8     | 0.60     | 101   | 0 (0.3 >= 0.25)               | 0 (down: 101 / 105 - 1 < 0) |
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from rotation.settings import BreadthSettings
from tests.sql.conftest import fetch
from transforms import sync_breadth_settings

REPO = Path(__file__).resolve().parents[2]
ROWS = [
    (0.5, 0.60, 100.0), (0.2, 0.60, 101.0), (0.4, 0.54, 102.0), (0.6, 0.50, 103.0),
    (0.8, 0.50, 104.0), (0.9, 0.50, 105.0), (0.3, 0.60, 106.0), (0.8, 0.60, 101.0),
]  # fmt: skip
THRUST = [0, 0, 0, 0, 1, 0, 0, 0]
DIVERGENCE = [None, None, 1, 1, 0, 0, 0, 0]


@pytest.fixture
def signals(con: duckdb.DuckDBPyConnection) -> list[dict]:
    con.execute(
        """create table marts.breadth (fund varchar, session date, above_ma50_share double,
               above_ma200_share double, fund_value double)"""
    )
    con.executemany(
        "insert into marts.breadth values ('IWM', ?, ?, ?, ?)",
        [(dt.date(2025, 3, 3) + dt.timedelta(days=i), *row) for i, row in enumerate(ROWS)],
    )
    sync_breadth_settings(
        con,
        BreadthSettings(
            thrust_low=0.25, thrust_high=0.75, thrust_sessions=3,
            divergence_sessions=2, divergence_min_drop=0.05,
        ),
    )  # fmt: skip
    # the model's select over the hand-made marts.breadth (the runner would want breadth.sql)
    model = (REPO / "sql" / "marts" / "breadth_signals.sql").read_text()
    return fetch(con, f"select * from ({model}) order by session")


def test_thrust_and_divergence_by_hand(signals: list[dict]) -> None:
    assert [r["thrust"] for r in signals] == THRUST
    assert [r["divergence"] for r in signals] == DIVERGENCE
    assert signals[4]["min_share_before"] == pytest.approx(0.2)
    assert signals[2]["index_change"] == pytest.approx(0.02)
    assert signals[2]["ma200_share_change"] == pytest.approx(-0.06)
