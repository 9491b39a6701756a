"""marts.member_trends, marts.breadth and marts.latest_breadth on hand-made tables.

Day i is 2024-01-01 + i (consecutive calendar days: the SQL has no calendar). Prices:
UP = 100 + i, DOWN = 400 - i, FLAT = 50, NEW = 20 + (i - 250) from day 250 only, SPY (the
benchmark) = 200 + i, IWM = 1000 + i; NOPRICE is never priced. IWM's snapshot of day 200
holds UP 60 %, DOWN 30 %, FLAT 10 %; its snapshot of day 255 holds UP 40 %, DOWN 20 %,
NEW 20 %, NOPRICE 20 % (FLAT left, NEW and NOPRICE joined).

Worked by hand for day 254 (the first snapshot in force, every member 255 sessions old):
- above the 50- and 200-session mean: UP only (DOWN is below, FLAT equals it) -> 1/3;
- new 252-session closing high: UP; low: DOWN; FLAT neither -> net 0;
- advancers UP, decliners DOWN, unchanged FLAT;
- returns UP 354/353 - 1 = 1/353, DOWN 146/147 - 1 = -1/147, FLAT 0:
  equal weight (1/353 - 1/147) / 3, weighted 0.6/353 - 0.3/147;
- 20-session returns UP 20/334, SPY 20/434, DOWN and FLAT <= 0: only UP beats -> 1/3 (60 too).
Day 259 (second snapshot): NEW has 10 sessions (no 50-session mean) and NOPRICE no price, so
the 50-session share is over UP and DOWN: 1/2; advancers UP and NEW, decliner DOWN; the A/D
line is 0 on days 200-254 (one up, one down) and +1 on each of days 255-259: 5.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from rotation.settings import BreadthSettings
from tests.sql.conftest import fetch, insert_prices, series
from transforms import build_models, sync_breadth_settings

REPO = Path(__file__).resolve().parents[2]
MODELS = (
    "staging/prices.sql",
    "staging/dashboard_sessions.sql",
    "staging/holdings_members.sql",
    "marts/member_trends.sql",
    "marts/breadth.sql",
    "marts/latest_breadth.sql",
)
DAYS = 260
START = dt.date(2024, 1, 1)


def day(i: int) -> dt.date:
    return START + dt.timedelta(days=i)


def _holdings(con: duckdb.DuckDBPyConnection, as_of: int, weights: dict[str, float]) -> None:
    con.executemany(
        """insert into raw.holdings (fund, as_of, line, ticker, name, weight_pct, price,
               is_equity, file, source, fetched_at, run_id)
           values ('IWM', ?, ?, ?, ?, ?, 1, true, 'f', 't', ?, 't')""",
        [
            (day(as_of), line, ticker, ticker, pct, dt.datetime(2025, 1, 1))
            for line, (ticker, pct) in enumerate(weights.items(), start=10)
        ],
    )


@pytest.fixture
def built(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    start = START.isoformat()
    insert_prices(con, series("UP", start, [100.0 + i for i in range(DAYS)]))
    insert_prices(con, series("DOWN", start, [400.0 - i for i in range(DAYS)]))
    insert_prices(con, series("FLAT", start, [50.0] * DAYS))
    insert_prices(con, series("SPY", start, [200.0 + i for i in range(DAYS)]))
    insert_prices(con, series("IWM", start, [1000.0 + i for i in range(DAYS)]))
    insert_prices(con, series("NEW", day(250).isoformat(), [20.0 + i for i in range(10)]))
    _holdings(con, 200, {"UP": 60.0, "DOWN": 30.0, "FLAT": 10.0})
    _holdings(con, 255, {"UP": 40.0, "DOWN": 20.0, "NEW": 20.0, "NOPRICE": 20.0})
    sql_dir = tmp_path / "sql"
    for model in MODELS:
        (sql_dir / model).parent.mkdir(parents=True, exist_ok=True)
        (sql_dir / model).symlink_to(REPO / "sql" / model)
    build_models(con, sql_dir)
    return con


def _breadth(con: duckdb.DuckDBPyConnection, i: int) -> dict:
    (row,) = fetch(con, "select * from marts.breadth where fund = 'IWM' and session = ?", [day(i)])
    return row


def test_member_trends_windows_fill_at_their_length(built: duckdb.DuckDBPyConnection) -> None:
    rows = {
        r["session"]: r
        for r in fetch(built, "select * from marts.member_trends where symbol = 'UP' order by date")
    }
    assert rows[1]["ret_1d"] is None and rows[2]["ret_1d"] == pytest.approx(1 / 100)
    assert rows[49]["ma_50"] is None and rows[50]["ma_50"] == pytest.approx(124.5)  # 100..149
    assert rows[199]["ma_200"] is None and rows[200]["ma_200"] == pytest.approx(199.5)
    assert rows[251]["new_high_252"] is None and rows[252]["new_high_252"] is True
    assert rows[252]["new_low_252"] is False
    assert rows[20]["ret_20"] is None and rows[21]["ret_20"] == pytest.approx(20 / 100)
    assert rows[61]["ret_60"] == pytest.approx(60 / 100)
    flat = fetch(built, "select * from marts.member_trends where symbol = 'FLAT' and session = 260")
    assert (flat[0]["new_high_252"], flat[0]["new_low_252"]) == (False, False)


def test_breadth_on_the_first_snapshot_by_hand(built: duckdb.DuckDBPyConnection) -> None:
    b = _breadth(built, 254)
    assert b["holdings_as_of"] == day(200)
    assert (b["members"], b["members_priced"], b["with_ma50"], b["with_ma200"]) == (3, 3, 3, 3)
    assert b["above_ma50_share"] == pytest.approx(1 / 3)
    assert b["above_ma200_share"] == pytest.approx(1 / 3)
    assert (b["new_highs"], b["new_lows"], b["net_new_highs"]) == (1, 1, 0)
    assert (b["advancers"], b["decliners"], b["unchanged"]) == (1, 1, 1)
    assert b["equal_weight_return"] == pytest.approx((1 / 353 - 1 / 147) / 3)
    assert b["weighted_return"] == pytest.approx(0.6 / 353 - 0.3 / 147)
    assert b["breadth_spread"] == pytest.approx((1 / 353 - 1 / 147) / 3 - (0.6 / 353 - 0.3 / 147))
    assert b["beat_benchmark_20_share"] == pytest.approx(1 / 3)
    assert b["beat_benchmark_60_share"] == pytest.approx(1 / 3)
    assert b["ad_line"] == 0
    assert b["fund_value"] == pytest.approx(1254.0)


def test_breadth_follows_the_snapshot_in_force(built: duckdb.DuckDBPyConnection) -> None:
    first = built.execute("select min(session) from marts.breadth").fetchone()
    assert first == (day(200),)  # no members known before the first snapshot
    b = _breadth(built, 259)
    assert b["holdings_as_of"] == day(255)
    assert (b["members"], b["members_priced"], b["with_ma50"]) == (4, 3, 2)
    assert b["above_ma50_share"] == pytest.approx(1 / 2)
    assert (b["advancers"], b["decliners"], b["unchanged"]) == (2, 1, 0)
    # weights renormalised over the priced members: UP .4, DOWN .2, NEW .2 of 0.8
    up, down, new = 359 / 358 - 1, 141 / 142 - 1, 29 / 28 - 1
    assert b["weighted_return"] == pytest.approx((0.4 * up + 0.2 * down + 0.2 * new) / 0.8)
    assert b["equal_weight_return"] == pytest.approx((up + down + new) / 3)
    assert b["ad_line"] == 5
    assert b["with_252"] == 2  # NEW has 10 sessions of history


def test_latest_breadth_is_each_funds_last_session(built: duckdb.DuckDBPyConnection) -> None:
    (latest,) = fetch(built, "select * from marts.latest_breadth")
    assert latest["fund"] == "IWM" and latest["session"] == day(259)
    assert latest["above_ma50_share"] == pytest.approx(1 / 2)
    assert latest["above_ma50_share_10"] == pytest.approx(1 / 3)  # day 249
    assert latest["ad_line"] == 5


def test_benchmark_is_a_setting(built: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # against DOWN as the benchmark, UP and FLAT beat it over 20 sessions on day 254
    sync_breadth_settings(built, BreadthSettings(benchmark="DOWN"))
    build_models(built, tmp_path / "sql")
    assert _breadth(built, 254)["beat_benchmark_20_share"] == pytest.approx(2 / 3)
    sync_breadth_settings(built, BreadthSettings(benchmark="NOSUCH"))
    build_models(built, tmp_path / "sql")
    b = _breadth(built, 254)
    assert b["with_benchmark_20"] == 0 and b["beat_benchmark_20_share"] is None


def test_status_shows_breadth_and_members_in_one_line(built: duckdb.DuckDBPyConnection) -> None:
    from rich.console import Console

    from cli.status import collect_status, render_status

    built.executemany(
        "insert into ops.member_symbols values (?, ?, ?, ?, 'r')",
        [(s, day(259), day(259), day(259)) for s in ("UP", "DOWN", "NEW")]
        + [("NOPRICE", day(259), day(259), None)],
    )
    status = collect_status(built, day(259))
    # members are summarised, not listed symbol by symbol
    assert [f["symbol"] for f in status["freshness"]] == ["FLAT", "IWM", "SPY"]
    assert status["members"] == {
        "members": 4, "up_to_date": 3, "never_priced": 1, "oldest_latest": day(259),
    }  # fmt: skip
    (iwm,) = status["breadth"]
    assert iwm["above_ma50_share"] == pytest.approx(0.5)
    console = Console(record=True, width=160)
    render_status(status, console)
    text = console.export_text()
    assert "Index members: 3 of 4 priced up to" in text and "1 never priced" in text
    assert "Breadth (latest session per fund" in text
    assert "3/4" in text and "50%" in text and "33%" in text and "+5" in text


def test_report_panel_draws_the_shares_and_the_ad_line(built: duckdb.DuckDBPyConnection) -> None:
    from reporting import queries
    from reporting.breadth import breadth_chart

    rows = queries.window(built, "breadth", day(0), day(259))
    chart = breadth_chart(rows, day(190), day(259))
    shares, ad = chart.panels
    assert chart.complete and chart.png.startswith(b"\x89PNG")
    assert shares.title == "IWM members above their averages"
    assert ad.title == "IWM advance/decline line"
    empty = breadth_chart(queries.window(built, "breadth", day(0), day(10)), day(0), day(10))
    assert not empty.complete
    assert "no marts.breadth between" in empty.panels[0].note


def _breadth_rows(priced: int, ad: list[float]) -> Any:
    import pandas as pd

    days = [day(i) for i in range(len(ad))]
    return pd.DataFrame(
        {
            "fund": "IWM",
            "date": pd.to_datetime(days),
            "members": 1939,
            "members_priced": priced,
            "above_ma50_share": None if not priced else 0.5,
            "above_ma200_share": None,
            "net_new_highs": None,
            "ad_line": ad,
        }
    )


def test_report_panel_says_when_no_member_is_priced(tmp_path: Path) -> None:
    """Sessions with no member priced are no A/D line (not a 'falling' flat line of zero)."""
    from reporting.breadth import _ad_verdict, breadth_chart

    chart = breadth_chart(_breadth_rows(0, [0.0] * 30), day(0), day(29))
    shares, ad = chart.panels
    assert not shares.drawn and not ad.drawn
    assert ad.note.startswith("no IWM member priced between")
    (tmp_path / "no-members.png").write_bytes(chart.png)
    flat = breadth_chart(_breadth_rows(1900, [5.0] * 30), day(0), day(29))
    assert flat.panels[1].drawn
    assert _ad_verdict([5.0] * 20)[0] == "A/D line flat over the last 20 sessions"
    assert _ad_verdict([5.0, 3.0])[0] == "A/D line falling over the last 2 sessions"
    assert _ad_verdict([5.0])[0] == "A/D line: one session priced so far"


def test_latest_breadth_skips_sessions_with_no_member_priced(
    built: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """The fund and its benchmark priced on two more sessions, no member: those sessions are
    no breadth to show; the latest stays the last session with members priced."""
    for symbol, base in (("SPY", 200.0), ("IWM", 1000.0)):
        insert_prices(built, series(symbol, day(DAYS).isoformat(), [base + DAYS, base + DAYS + 1]))
    build_models(built, tmp_path / "sql")
    unpriced = fetch(
        built, "select session from marts.breadth where members_priced = 0 order by session"
    )
    assert [r["session"] for r in unpriced][-2:] == [day(DAYS), day(DAYS + 1)]
    (latest,) = fetch(built, "select * from marts.latest_breadth")
    assert latest["session"] == day(259) and latest["members_priced"] > 0
