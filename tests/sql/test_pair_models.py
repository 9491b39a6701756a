"""Rows in, rows out for the pair models, on hand-made prices (values by hand in comments)."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import fetch, series

D = dt.date.fromisoformat

# Powers of two keep every return exact, so the ties below are true ties.
# date         S    L     S ret  L ret (over pair sessions)  sign  streak
# 2023-12-29   8    64    -      -                           -     NULL
# 2024-01-02   16   64    1      0                           +     1
# 2024-01-03   32   64    1      0                           +     2
# 2024-01-04   64   128   1      1                           tie   0
# 2024-01-05   64   256   0      1                           -     -1
# 2024-01-06   32   256   -0.5   0                           -     -2
# 2024-01-07   -    512   (S has no price: no pair row)
# 2024-01-08   32   256   0      0 (vs 01-06, not L's 512)   tie   0
PAIR_ROWS = [
    ("S", "2023-12-29", 8.0), ("L", "2023-12-29", 64.0),
    ("S", "2024-01-02", 16.0), ("L", "2024-01-02", 64.0),
    ("S", "2024-01-03", 32.0), ("L", "2024-01-03", 64.0),
    ("S", "2024-01-04", 64.0), ("L", "2024-01-04", 128.0),
    ("S", "2024-01-05", 64.0), ("L", "2024-01-05", 256.0),
    ("S", "2024-01-06", 32.0), ("L", "2024-01-06", 256.0),
    ("L", "2024-01-07", 512.0),
    ("S", "2024-01-08", 32.0), ("L", "2024-01-08", 256.0),
]  # fmt: skip


def test_staging_pair_returns_only_common_sessions(con, build_prices) -> None:
    build_prices(PAIR_ROWS, pairs=["S/L"])
    rows = fetch(con, "select * from staging.pair_returns order by date")
    assert [r["date"] for r in rows][-2:] == [D("2024-01-06"), D("2024-01-08")]
    assert [r["session"] for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    # 2024-01-08 against the previous pair session 2024-01-06: 32/32 - 1 and 256/256 - 1
    assert (rows[-1]["small_ret"], rows[-1]["large_ret"]) == (0.0, 0.0)
    assert rows[0]["pair"] == "S/L" and rows[0]["kind"] == "total_return"


def test_marts_relative_strength_ratio_streak_ytd(con, build_prices) -> None:
    build_prices(PAIR_ROWS, pairs=["S/L"])
    rows = fetch(con, "select * from marts.relative_strength order by date")
    assert len(rows) == 7  # only dates where both legs have a value
    assert [r["ratio"] for r in rows] == [0.125, 0.25, 0.5, 0.5, 0.25, 0.125, 0.125]
    assert [r["streak"] for r in rows] == [None, 1, 2, 0, -1, -2, 0]
    # ytd: 2023 is both legs' first year -> NULL; in 2024 against 8 and 64:
    #   01-02: (16/8 - 1) - (64/64 - 1) = 1; 01-05: (64/8 - 1) - (256/64 - 1) = 7 - 3 = 4;
    #   01-08: (32/8 - 1) - (256/64 - 1) = 0
    assert rows[0]["ytd_spread"] is None
    assert [rows[1]["ytd_spread"], rows[4]["ytd_spread"], rows[6]["ytd_spread"]] == [1, 4, 0]
    # seven sessions: no 50-session average, no 20-session spread yet
    assert {r["ratio_ma50"] for r in rows} == {None}
    assert {r["spread_20d"] for r in rows} == {None}
    assert rows[0]["small"] == "S" and rows[0]["large"] == "L"


def test_marts_relative_strength_full_windows(con, build_prices) -> None:
    # small = 1, 2, ..., 205 and large = 100 on 205 days: ratio at session n is n/100
    n = 205
    rows_in = series("A", "2020-01-01", [float(i) for i in range(1, n + 1)])
    rows_in += series("B", "2020-01-01", [100.0] * n)
    build_prices(rows_in, pairs=["A/B"])
    rows = fetch(con, "select * from marts.relative_strength order by date")
    at = {i + 1: r for i, r in enumerate(rows)}  # by session number
    # ratio_ma50: session 49 not full; session 50: mean(1..50)/100 = 25.5/100;
    # session 60: mean(11..60)/100 = 35.5/100
    assert at[49]["ratio_ma50"] is None
    assert at[50]["ratio_ma50"] == pytest.approx(0.255)
    assert at[60]["ratio_ma50"] == pytest.approx(0.355)
    assert at[50]["ratio_vs_ma50"] == pytest.approx(0.50 / 0.255 - 1)
    # ratio_ma200: session 200 = mean(1..200)/100 = 100.5/100
    assert at[199]["ratio_ma200"] is None
    assert at[200]["ratio_ma200"] == pytest.approx(1.005)
    assert at[200]["ratio_vs_ma200"] == pytest.approx(2.0 / 1.005 - 1)
    # spread_20d at session 21: small 21/1 - 1 = 20, large 0 -> 20; session 61: 61/41 - 1
    assert at[20]["spread_20d"] is None
    assert at[21]["spread_20d"] == pytest.approx(20.0)
    assert at[61]["spread_20d"] == pytest.approx(61 / 41 - 1)
    # spread_60d: session 61: 61/1 - 1 = 60
    assert at[60]["spread_60d"] is None
    assert at[61]["spread_60d"] == pytest.approx(60.0)
    # small rises every session, large is flat: streak = sessions since the first, n - 1
    assert at[205]["streak"] == 204


def _path(start: float, returns: list[float]) -> list[float]:
    values = [start]
    for r in returns:
        values.append(values[-1] * (1 + r))
    return values


def test_marts_pair_risk_correlation_and_beta(con, build_prices) -> None:
    # 70 prices, 69 returns: large's returns cycle -0.02, -0.01, 0, 0.01, 0.02; "U" (up) moves
    # twice as much as large, "D" (down) moves against it one for one.
    large = [0.01 * ((t % 5) - 2) for t in range(69)]
    rows_in = series("M", "2024-01-01", _path(100.0, large))
    rows_in += series("U", "2024-01-01", _path(100.0, [2 * r for r in large]))
    rows_in += series("D", "2024-01-01", _path(100.0, [-r for r in large]))
    build_prices(rows_in, pairs=["U/M", "D/M"])
    rows = fetch(con, "select * from marts.pair_risk order by pair, date")
    up = [r for r in rows if r["pair"] == "U/M"]
    down = [r for r in rows if r["pair"] == "D/M"]
    # session 63 holds 62 returns: not full; session 64 holds 63
    assert up[62]["corr_63"] is None and up[62]["beta_63"] is None
    # small = 2 x large exactly: correlation 1, beta = cov(2x, x)/var(x) = 2
    assert up[63]["corr_63"] == pytest.approx(1.0, abs=1e-9)
    assert up[63]["beta_63"] == pytest.approx(2.0, abs=1e-9)
    # small = -large: correlation -1, beta -1
    assert down[69]["corr_63"] == pytest.approx(-1.0, abs=1e-9)
    assert down[69]["beta_63"] == pytest.approx(-1.0, abs=1e-9)
    # 69 returns never fill a 252 window
    assert {r["corr_252"] for r in rows} == {None}
    assert {r["beta_252"] for r in rows} == {None}
    assert up[0]["small"] == "U" and up[0]["large"] == "M" and up[0]["kind"] == "total_return"


def test_marts_latest_indicators(con, build_prices) -> None:
    # a pair without data for one leg (Z) has no row rather than a row of NULLs
    build_prices(PAIR_ROWS, pairs=["S/L", "S/Z"])
    rows = fetch(con, "select * from marts.latest_indicators")
    assert len(rows) == 1
    row = rows[0]
    assert (row["pair"], row["date"]) == ("S/L", D("2024-01-08"))
    # copied from the table above: ratio 32/256, tie -> streak 0, ytd (32/8-1) = (256/64-1) = 3
    assert row["ratio"] == 0.125 and row["streak"] == 0 and row["ytd_spread"] == 0
    assert (row["small_ytd"], row["large_ytd"]) == (3.0, 3.0)
    # drawdowns from each leg's own peak: S 32 vs 64 -> -0.5; L 256 vs 512 (2024-01-07) -> -0.5
    assert (row["small_drawdown"], row["large_drawdown"]) == (-0.5, -0.5)
    assert row["corr_63"] is None and row["small_vol_63"] is None


def test_marts_relative_strength_streak_runs_and_labels(con, build_prices) -> None:
    # Small's daily moves against a flat large leg, chosen so every sign is exact (halving and
    # doubling powers of two): + + - - - 0 + 0 0 - + + + -. The streak is computed from the
    # session where the sign last changed (staging.pair_returns' previous_*_ret), so runs that
    # restart right after a tie or a flip are the cases to check.
    signs = [1, 1, -1, -1, -1, 0, 1, 0, 0, -1, 1, 1, 1, -1]
    small = [64.0]
    for s in signs:
        small.append(small[-1] * {1: 2.0, -1: 0.5, 0: 1.0}[s])
    expected: list[int | None] = [None]
    for s in signs:
        previous = expected[-1] or 0
        if s == 0:
            expected.append(0)
        elif (previous > 0) == (s > 0) and previous != 0:
            expected.append(previous + s)
        else:
            expected.append(s)
    # Two pairs whose names sort differently from their configuration order: the pair
    # integer key (row order of the names) must give each row its own legs.
    rows_in = series("ZS", "2021-01-01", small) + series("AL", "2021-01-01", [8.0] * len(small))
    rows_in += series("BS", "2021-01-01", [8.0] * len(small))
    build_prices(rows_in, pairs=["ZS/AL", "BS/ZS"])
    rows = fetch(con, "select * from marts.relative_strength where pair = 'ZS/AL' order by date")
    assert [r["streak"] for r in rows] == expected
    assert {(r["small"], r["large"]) for r in rows} == {("ZS", "AL")}
    other = fetch(con, "select * from marts.relative_strength where pair = 'BS/ZS' order by date")
    assert {(r["small"], r["large"]) for r in other} == {("BS", "ZS")}
    # BS is flat, ZS moves: the mirror image of the streaks above
    assert [r["streak"] for r in other] == [None if e is None else -e for e in expected]
    labels = con.execute("select distinct pair, small, large from marts.pair_risk").fetchall()
    assert sorted(labels) == [("BS/ZS", "BS", "ZS"), ("ZS/AL", "ZS", "AL")]
