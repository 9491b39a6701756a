"""Loading prices: idempotent upserts and one adjustment basis across downloads (real data)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from quality.prices import PriceRules, validate_prices
from sources.price_store import load_prices, stored_context
from sources.yahoo import concat_price_frames, parse_price_csv

NOW = dt.datetime(2026, 3, 11, 1, 0, tzinfo=dt.UTC)


def good_rows(shared_data: Path, snapshot: str, symbols: list[str]) -> pd.DataFrame:
    folder = shared_data / "prices" / snapshot
    frame = concat_price_frames(
        [parse_price_csv((folder / f"{s}.csv").read_bytes(), s, origin=s) for s in symbols]
    )
    return validate_prices(frame, PriceRules()).good


def stored_returns(con: duckdb.DuckDBPyConnection, symbol: str) -> pd.Series:
    frame = con.execute(
        "select date, adj_close from raw.prices where symbol = ? order by date", [symbol]
    ).df()
    return frame.set_index(pd.to_datetime(frame["date"]))["adj_close"].pct_change()


def test_two_downloads_on_different_bases_leave_no_false_move_at_the_seam(
    con: duckdb.DuckDBPyConnection, shared_data: Path
) -> None:
    old = good_rows(shared_data, "yahoo-csv-2025-09-26", ["IWM", "SPY"])
    new = good_rows(shared_data, "yfinance-2026-03-10", ["IWM", "SPY"])
    load_prices(con, old, source="replay:2025", run_id="r1", fetched_at=NOW)
    second = load_prices(con, new, source="replay:2026", run_id="r2", fetched_at=NOW)

    # The 2026 download starts 2007-01-03: everything before it was re-based.
    by_symbol = {r.symbol: r for r in second.rebases}
    assert set(by_symbol) == {"IWM", "SPY"}
    assert by_symbol["IWM"].side == "before" and by_symbol["IWM"].boundary == dt.date(2007, 1, 3)
    assert by_symbol["IWM"].rows == 1658  # IWM rows 2000-05-26 .. 2006-12-29
    assert abs(by_symbol["IWM"].spread) < 1e-4  # the ratio is constant: a clean basis change
    logged = con.execute("select count(*) from ops.price_rebases where run_id = 'r2'").fetchone()
    assert logged == (2,)

    # At the seam, the stored series moves exactly as one single-basis download does.
    yahoo = pd.read_csv(
        shared_data / "prices" / "yahoo-csv-2025-09-26" / "IWM.csv", index_col=0, parse_dates=True
    )["Adj Close"].pct_change()
    stored = stored_returns(con, "IWM")
    seam = pd.Timestamp("2007-01-03")
    assert abs(stored[seam] - yahoo[seam]) < 1e-6  # +0.1666% either way
    # And everywhere before it (re-based by one factor, returns unchanged).
    early = stored.loc["2000-06-01":"2006-12-29"]
    assert (early - yahoo.loc[early.index]).abs().max() < 1e-6

    # What the vendor said is kept next to the re-based value.
    row = con.execute(
        "select adj_close, adj_close_received from raw.prices "
        "where symbol = 'IWM' and date = '2006-12-29'"
    ).fetchone()
    assert row is not None and abs(row[0] / row[1] - by_symbol["IWM"].factor) < 1e-12


def test_naive_appending_would_have_left_the_false_move(shared_data: Path) -> None:
    """What stitched-2026-02-23 shows: overwrite without re-basing, and the seam jumps."""
    old = good_rows(shared_data, "yahoo-csv-2025-09-26", ["IWM"]).set_index("date")["adj_close"]
    new = good_rows(shared_data, "yfinance-2026-03-10", ["IWM"]).set_index("date")["adj_close"]
    naive = pd.concat([old[old.index < new.index.min()], new]).pct_change()
    true_move = old.pct_change()[pd.Timestamp("2007-01-03")]
    assert abs(naive[pd.Timestamp("2007-01-03")] - true_move) > 3e-3  # a false ~-0.33% day


def test_a_second_identical_load_changes_nothing(
    con: duckdb.DuckDBPyConnection, shared_data: Path
) -> None:
    rows = good_rows(shared_data, "yfinance-2026-03-10", ["SPY"])
    first = load_prices(con, rows, source="replay", run_id="r1", fetched_at=NOW)
    before = con.execute("select * from raw.prices order by date").df()
    again = load_prices(con, rows, source="replay", run_id="r2", fetched_at=NOW)
    after = con.execute("select * from raw.prices order by date").df()
    assert first.inserted == len(rows) and first.updated == 0
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(rows))
    assert again.rebases == []
    pd.testing.assert_frame_equal(before, after)  # run_id and fetched_at untouched too


def test_a_corrected_value_updates_the_row(
    con: duckdb.DuckDBPyConnection, shared_data: Path
) -> None:
    rows = good_rows(shared_data, "yfinance-2026-03-10", ["SPY"]).tail(10).reset_index(drop=True)
    load_prices(con, rows, source="replay", run_id="r1", fetched_at=NOW)
    corrected = rows.copy()
    corrected.loc[9, "volume"] += 1000
    result = load_prices(con, corrected, source="replay", run_id="r2", fetched_at=NOW)
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 9)
    run_ids = con.execute(
        "select run_id, count(*) from raw.prices group by 1 order by 1"
    ).fetchall()
    assert run_ids == [("r1", 9), ("r2", 1)]


def test_stored_context_gives_the_last_close_and_volumes(
    con: duckdb.DuckDBPyConnection, shared_data: Path
) -> None:
    rows = good_rows(shared_data, "yfinance-2026-03-10", ["SPY"])
    load_prices(con, rows.iloc[:-5], source="replay", run_id="r1", fetched_at=NOW)
    context = stored_context(con, rows.iloc[-5:])["SPY"]
    assert context.close == rows.iloc[-6]["close"]
    assert len(context.volumes) == 20 and context.volumes[-1] == rows.iloc[-6]["volume"]
