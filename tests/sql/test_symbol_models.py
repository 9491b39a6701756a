"""Rows in, rows out for the per-symbol price models, on hand-made prices.

Every expected value is worked out by hand in the comments. Dates are plain calendar days:
the SQL has no calendar of its own, it follows whatever sessions raw.prices holds.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from .conftest import fetch, series

D = dt.date.fromisoformat

# X: the returns fixture. Bases: last close of 2023 (and of Dec, of Q4) is 100 on 2023-12-29;
# last close of January is 121, of February 120, of Q1 150 (2024-03-30).
X = [
    ("X", "2023-12-28", 90.0),
    ("X", "2023-12-29", 100.0),
    ("X", "2024-01-02", 110.0),
    ("X", "2024-01-31", 121.0),
    ("X", "2024-02-01", 110.0),
    ("X", "2024-02-29", 120.0),
    ("X", "2024-03-01", 126.0),
    ("X", "2024-03-28", 132.0),
    ("X", "2024-03-30", 150.0),
    ("X", "2024-04-01", 99.0),
]


def test_staging_prices_uses_adj_close_and_guards_non_positive(con, build_prices) -> None:
    con.execute(
        """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
                                   adjustment, source, fetched_at, run_id)
           values ('F', date '2024-01-02', 50, 40, 40, 'raw', 'test', now(), 't'),
                  ('F', date '2024-01-03', 51, 0, 0, 'raw', 'test', now(), 't')"""
    )
    build_prices([])
    rows = fetch(con, "select symbol, date, value, close from staging.prices")
    # value is the adjusted close (40), not the close (50); the zero price is not a price
    assert rows == [{"symbol": "F", "date": D("2024-01-02"), "value": 40.0, "close": 50.0}]


def test_staging_daily_returns(con, build_prices) -> None:
    build_prices(series("R", "2024-01-01", [100.0, 110.0, 99.0]))
    rows = fetch(
        con,
        "select value, previous_value, ret_1d, session from staging.daily_returns order by date",
    )
    # 110/100 - 1 = 0.10; 99/110 - 1 = -0.10; the first session has no return
    assert [r["session"] for r in rows] == [1, 2, 3]
    assert [r["previous_value"] for r in rows] == [None, 100.0, 110.0]
    assert rows[0]["ret_1d"] is None
    assert rows[1]["ret_1d"] == pytest.approx(0.10)
    assert rows[2]["ret_1d"] == pytest.approx(-0.10)


def test_marts_returns_periods_and_trailing_months(con, build_prices) -> None:
    build_prices(X)
    got = {
        r["date"].isoformat(): r
        for r in fetch(con, "select * from marts.returns where symbol = 'X'")
    }
    assert len(got) == len(X)
    first = got["2023-12-28"]
    # first session: no return, no previous month/quarter/year, tr_index starts at 1
    assert [first[k] for k in ("ret_1d", "mtd", "qtd", "ytd", "ret_1m")] == [None] * 5
    assert first["tr_index"] == 1.0
    # 2023-12-29: 100/90 - 1; still the symbol's first month, so no mtd
    assert got["2023-12-29"]["ret_1d"] == pytest.approx(1 / 9)
    assert got["2023-12-29"]["mtd"] is None
    # 2024-01-02: against 2023's last close 100 -> 0.10 for mtd, qtd, ytd; one month earlier
    # (2023-12-02) is before the first session -> ret_1m NULL
    jan2 = got["2024-01-02"]
    assert (jan2["mtd"], jan2["qtd"], jan2["ytd"]) == pytest.approx((0.10, 0.10, 0.10))
    assert jan2["ret_1m"] is None
    # 2024-01-31: 121/100 - 1 = 0.21 mtd and ytd; 1m looks back to 2023-12-31 -> 2023-12-29
    assert got["2024-01-31"]["mtd"] == pytest.approx(0.21)
    assert got["2024-01-31"]["ret_1m"] == pytest.approx(0.21)
    # 2024-02-01: mtd against January's last close 121 -> 110/121 - 1; ytd 110/100 - 1
    assert got["2024-02-01"]["mtd"] == pytest.approx(110 / 121 - 1)
    assert got["2024-02-01"]["ytd"] == pytest.approx(0.10)
    # 2024-02-29: 1m -> 2024-01-29 -> last close on or before is 2024-01-02 (110)
    assert got["2024-02-29"]["ret_1m"] == pytest.approx(120 / 110 - 1)
    # 2024-03-01: 1m -> 2024-02-01, a session itself: on-or-before includes it (110)
    assert got["2024-03-01"]["ret_1m"] == pytest.approx(126 / 110 - 1)
    # 2024-03-28: 1m -> 2024-02-28 -> 2024-02-01 (110): 132/110 - 1 = 0.2; qtd 132/100 - 1
    assert got["2024-03-28"]["ret_1m"] == pytest.approx(0.2)
    assert got["2024-03-28"]["qtd"] == pytest.approx(0.32)
    # 2024-03-30: 1m -> "2024-02-30" clamps to 2024-02-29 (120): 150/120 - 1 = 0.25, not the
    # 2024-03-01 close; 3m -> 2023-12-30 -> 2023-12-29 (100): 0.5
    assert got["2024-03-30"]["ret_1m"] == pytest.approx(0.25)
    assert got["2024-03-30"]["ret_3m"] == pytest.approx(0.5)
    # 2024-04-01: Q1's (and March's) last close is 150 -> 99/150 - 1 = -0.34; ytd 99/100 - 1;
    # 3m -> 2024-01-01 -> 100: -0.01; 6m and 12m reach before the data -> NULL
    apr1 = got["2024-04-01"]
    assert (apr1["mtd"], apr1["qtd"], apr1["ytd"]) == pytest.approx((-0.34, -0.34, -0.01))
    assert apr1["ret_3m"] == pytest.approx(-0.01)
    assert apr1["ret_6m"] is None and apr1["ret_12m"] is None
    # tr_index: 99/90 = 1.1, so the 2023-12-29 -> 2024-04-01 return is 1.1 / (100/90) - 1
    assert apr1["tr_index"] == pytest.approx(1.1)
    assert apr1["tr_index"] / got["2023-12-29"]["tr_index"] - 1 == pytest.approx(-0.01)


def test_marts_calendar_year_returns(con, build_prices) -> None:
    build_prices(X)
    rows = fetch(con, "select * from marts.calendar_year_returns order by year")
    # 2023 is the first year: no previous close, so no return rather than a partial year;
    # 2024: 99 (2024-04-01) / 100 (2023-12-29) - 1 = -0.01, the same as the latest ytd
    assert rows[0] == {
        "symbol": "X", "year": 2023, "start_date": None, "end_date": D("2023-12-29"),
        "start_value": None, "end_value": 100.0, "ret": None,
    }  # fmt: skip
    assert rows[1]["start_date"] == D("2023-12-29") and rows[1]["end_date"] == D("2024-04-01")
    assert rows[1]["ret"] == pytest.approx(-0.01)


def test_marts_cumulative_return_macro(con, build_prices) -> None:
    build_prices(X)
    rows = fetch(
        con,
        "select * from marts.cumulative_return(date '2024-01-01') where symbol = 'X' order by date",
    )
    # a holiday start compounds from the close before it: 2023-12-29 (100)
    assert {r["base_date"] for r in rows} == {D("2023-12-29")}
    assert rows[0]["date"] == D("2023-12-29") and rows[0]["cumulative_return"] == 0.0
    by_date = {r["date"].isoformat(): r["cumulative_return"] for r in rows}
    assert by_date["2024-01-31"] == pytest.approx(0.21)  # 121/100 - 1
    assert by_date["2024-04-01"] == pytest.approx(-0.01)  # 99/100 - 1
    # a start on a session uses that session: 2024-02-01 (110) -> 2024-03-28 (132) = 0.2
    on_session = con.execute(
        "select cumulative_return from marts.cumulative_return(date '2024-02-01') "
        "where date = date '2024-03-28'"
    ).fetchone()
    assert on_session[0] == pytest.approx(0.2)
    # before the first session there is nothing to compound from
    assert (
        con.execute("select count(*) from marts.cumulative_return(date '2020-01-01')").fetchone()[0]
        == 0
    )


def test_marts_risk_drawdown(con, build_prices) -> None:
    build_prices(series("DD", "2024-01-01", [100.0, 120.0, 90.0, 108.0, 130.0]))
    rows = fetch(con, "select * from marts.risk order by date")
    # peaks 100, 120, 120, 120, 130: drawdown 0, 0, 90/120 - 1 = -0.25, 108/120 - 1 = -0.1, 0
    assert [r["drawdown"] for r in rows] == pytest.approx([0.0, 0.0, -0.25, -0.1, 0.0])
    # running minimum of drawdown
    assert [r["max_drawdown"] for r in rows] == pytest.approx([0.0, 0.0, -0.25, -0.25, -0.25])
    # five sessions: no 21-return window is full
    assert {r["vol_21"] for r in rows} == {None}


def test_marts_risk_volatility_full_window(con, build_prices) -> None:
    # 23 prices whose returns alternate +0.10, -0.10 (r1 = +0.1): 22 returns.
    values = [100.0]
    for i in range(22):
        values.append(values[-1] * (1.1 if i % 2 == 0 else 0.9))
    build_prices(series("V", "2024-01-01", values))
    rows = fetch(con, "select vol_21, vol_63, vol_252 from marts.risk order by date")
    # session 21 holds 20 returns: not a full window
    assert rows[20]["vol_21"] is None
    # session 22 holds r1..r21: eleven +0.1 and ten -0.1, mean 0.1/21.
    #   sum of squared deviations = 21 * 0.01 - 21 * (0.1/21)^2 = 0.21 - 0.01/21
    #   sample variance = that / 20; times 252 = (0.21 * 252 - 0.01 * 12) / 20 = 2.64
    #   vol_21 = sqrt(2.64) = 1.6248...; (ddof=0 would give sqrt(2.64 * 20/21) = 1.5857...)
    assert rows[21]["vol_21"] == pytest.approx(math.sqrt(2.64), rel=1e-9)
    # session 23 holds r2..r22: ten +0.1 and eleven -0.1, the same spread
    assert rows[22]["vol_21"] == pytest.approx(math.sqrt(2.64), rel=1e-9)
    assert rows[22]["vol_63"] is None and rows[22]["vol_252"] is None


def test_marts_returns_and_risk_across_a_month_without_sessions(con, build_prices) -> None:
    # G has no session in February 2024 (the models summarise each month, so an empty month
    # must still be counted as "before" the next one and looked back into correctly).
    #   2024-01-30 100, 2024-01-31 110, 2024-03-01 121, 2024-03-29 99
    build_prices(
        [
            ("G", "2024-01-30", 100.0),
            ("G", "2024-01-31", 110.0),
            ("G", "2024-03-01", 121.0),
            ("G", "2024-03-29", 99.0),
        ]
    )
    got = {
        r["date"].isoformat(): r
        for r in fetch(con, "select * from marts.returns where symbol = 'G'")
    }
    # 2024-03-01: the previous pair of sessions is 01-31 -> 121/110 - 1; mtd against the last
    # close before March (110, in January); 1m -> 2024-02-01, February is empty, so the last
    # close on or before it is 2024-01-31 (110)
    mar1 = got["2024-03-01"]
    assert mar1["ret_1d"] == pytest.approx(0.1)
    assert mar1["mtd"] == pytest.approx(0.1)
    assert mar1["ret_1m"] == pytest.approx(0.1)
    # 2024-03-29: 1m -> 2024-02-29 -> 110 again: 99/110 - 1 = -0.1; mtd against 110 too;
    # ytd: January 2024 is the first month of history, so the first year -> NULL
    mar29 = got["2024-03-29"]
    assert mar29["ret_1m"] == pytest.approx(-0.1)
    assert mar29["mtd"] == pytest.approx(-0.1)
    assert mar29["ytd"] is None and mar29["ret_3m"] is None
    assert mar29["tr_index"] == pytest.approx(0.99)
    risk = fetch(con, "select * from marts.risk where symbol = 'G' order by date")
    # peaks 100, 110, 121, 121 (the March peak carries over the empty month):
    # drawdown 0, 0, 0, 99/121 - 1; max_drawdown the same running minimum
    assert [r["drawdown"] for r in risk] == pytest.approx([0, 0, 0, 99 / 121 - 1])
    assert [r["max_drawdown"] for r in risk] == pytest.approx([0, 0, 0, 99 / 121 - 1])


def test_marts_risk_volatility_across_months(con, build_prices) -> None:
    # 64 daily closes from 2024-01-01 (they span January to March): 63 returns alternating
    # +0.1 / -0.1 (r1 = +0.1), so every 21-return window holds eleven of one sign and ten of
    # the other -> sqrt(2.64) as in the test above; the 63-return window at the last session
    # holds 32 x +0.1 and 31 x -0.1: mean 0.1/63, sum of squared deviations
    # 63 * 0.01 - 63 * (0.1/63)^2 = 0.63 - 0.01/63; / 62 * 252 = (0.63 * 252 - 0.04) / 62
    values = [100.0]
    for i in range(63):
        values.append(values[-1] * (1.1 if i % 2 == 0 else 0.9))
    build_prices(series("W", "2024-01-01", values))
    rows = fetch(con, "select date, vol_21, vol_63 from marts.risk order by date")
    assert {r["date"].month for r in rows} == {1, 2, 3}
    assert all(r["vol_21"] == pytest.approx(math.sqrt(2.64), rel=1e-9) for r in rows[21:])
    assert rows[62]["vol_63"] is None
    assert rows[63]["vol_63"] == pytest.approx(math.sqrt((0.63 * 252 - 0.04) / 62), rel=1e-9)
