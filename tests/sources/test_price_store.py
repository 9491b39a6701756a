"""Loading prices: idempotent upserts and one adjustment basis across downloads (real data)."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from quality.prices import PriceRules, validate_prices
from sources.price_csv import parse_price_csv
from sources.price_seams import judge_seam
from sources.price_store import load_prices, stored_context
from sources.prices import concat_price_frames

NOW = dt.datetime(2026, 3, 11, 1, 0, tzinfo=dt.UTC)


def good_rows(shared_data: Path, snapshot: str, symbols: list[str]) -> pd.DataFrame:
    """The rows of a real snapshot that pass the suite (validated once per session)."""
    return _validated(shared_data, snapshot, tuple(symbols)).copy()


@functools.cache
def _validated(shared_data: Path, snapshot: str, symbols: tuple[str, ...]) -> pd.DataFrame:
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


# ---- seam judgement -------------------------------------------------------------------------


def classic_returns(shared_data: Path, symbol: str) -> pd.Series:
    return pd.read_csv(
        shared_data / "prices" / "yahoo-csv-2025-09-26" / f"{symbol}.csv",
        index_col=0, parse_dates=True,
    )["Adj Close"].pct_change()  # fmt: skip


def seams(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, int, int]]:
    rows = con.execute(
        "select symbol, decision, stored_breaks, batch_breaks from ops.price_seams"
    ).fetchall()
    return {symbol: (decision, a, b) for symbol, decision, a, b in rows}


@pytest.mark.parametrize("window_from", ["2025-09-11", "1990-01-01"], ids=["daily", "whole"])
def test_stitched_after_classic_corrects_the_stitched_side(
    con: duckdb.DuckDBPyConnection, shared_data: Path, window_from: str
) -> None:
    """stitched-2026-02-23 mixes bases at 2025-09-16; the classic download is consistent.

    Trusting the new side would re-base the stored rows by the wrong stretch and leave a false
    ~0.3% move where the re-fetched window starts; the raw closes show the stitched side broke.
    """
    load_prices(con, good_rows(shared_data, "yahoo-csv-2025-09-26", ["IWM", "SPY"]),
                source="replay:2025", run_id="r1", fetched_at=NOW)  # fmt: skip
    new = good_rows(shared_data, "stitched-2026-02-23", ["IWM", "SPY"])
    new = new[new["date"] >= pd.Timestamp(window_from)]
    result = load_prices(con, new, source="replay:stitched", run_id="r2", fetched_at=NOW)

    assert seams(con) == {"IWM": ("batch_mixed", 0, 1), "SPY": ("batch_mixed", 0, 1)}
    evidence = con.execute(
        "select evidence->>'$.steps[0].date' from ops.price_seams where symbol = 'IWM'"
    ).fetchone()
    assert evidence == ("2025-09-16",)
    assert any("IWM" in w and "new download mixed bases" in w for w in result.warnings)
    for symbol in ("IWM", "SPY"):
        stored = stored_returns(con, symbol)
        reference = classic_returns(shared_data, symbol)
        common = stored.index.intersection(reference.index)[1:]
        common = common[common < pd.Timestamp("2025-09-26")]
        # Stitched closes are float32 and disagree with the classic file by up to ~1.4e-4
        # on a few days; a false basis move would be ~2.8e-3.
        worst = (stored[common] - reference[common]).abs().max()
        assert worst < 2e-4, f"{symbol}: stored returns depart from one basis by {worst}"


def test_a_rebase_covers_stored_days_the_batch_lacks(
    con: duckdb.DuckDBPyConnection, shared_data: Path
) -> None:
    load_prices(con, good_rows(shared_data, "yahoo-csv-2025-09-26", ["IWM"]),
                source="replay:2025", run_id="r1", fetched_at=NOW)  # fmt: skip
    new = good_rows(shared_data, "yfinance-2026-03-10", ["IWM"])
    lacking = [pd.Timestamp("2015-06-15"), pd.Timestamp("2020-03-16")]  # quarantined, say
    result = load_prices(
        con, new[~new["date"].isin(lacking)], source="replay:2026", run_id="r2", fetched_at=NOW
    )
    sides = {(r.side, r.rows) for r in result.rebases}
    assert sides == {("before", 1658), ("inside", 2)}
    stored = stored_returns(con, "IWM")
    reference = classic_returns(shared_data, "IWM")
    for day in lacking:  # the day and the day after move as in one single-basis download
        after = stored.index[stored.index.get_loc(day) + 1]
        assert abs(stored[day] - reference[day]) < 1e-6
        assert abs(stored[after] - reference[after]) < 1e-6


def test_a_stored_history_that_mixed_bases_is_the_side_re_based(
    con: duckdb.DuckDBPyConnection, shared_data: Path
) -> None:
    old = good_rows(shared_data, "yahoo-csv-2025-09-26", ["IWM"])
    mixed = old["date"] >= pd.Timestamp("2025-06-02")
    old.loc[mixed, "adj_close"] *= 0.995  # its factor adj/close falls: another basis
    load_prices(con, old, source="replay:2025", run_id="r1", fetched_at=NOW)
    new = good_rows(shared_data, "yfinance-2026-03-10", ["IWM"])
    load_prices(con, new[new["date"] >= pd.Timestamp("2025-05-01")], source="replay:2026",
                run_id="r2", fetched_at=NOW)  # fmt: skip

    assert seams(con) == {"IWM": ("stored_mixed", 1, 0)}
    stored = stored_returns(con, "IWM")
    reference = classic_returns(shared_data, "IWM")
    common = stored.index.intersection(reference.index)[1:]
    common = common[common < pd.Timestamp("2025-09-26")]
    assert (stored[common] - reference[common]).abs().max() < 2e-4


def test_a_seam_nothing_can_judge_is_an_incident(
    con: duckdb.DuckDBPyConnection, shared_data: Path
) -> None:
    """Both sides auto-adjusted: no raw closes to tell which one mixed bases."""
    load_prices(con, good_rows(shared_data, "stitched-2026-02-23", ["IWM"]),
                source="replay:stitched", run_id="r1", fetched_at=NOW)  # fmt: skip
    new = good_rows(shared_data, "yfinance-2026-03-10", ["IWM"])
    result = load_prices(con, new, source="replay:2026", run_id="r2", fetched_at=NOW)
    assert seams(con)["IWM"][0] == "undecided"
    (incident,) = result.incidents
    assert (incident.subject, incident.kind) == ("IWM", "basis_conflict")
    assert "2025-09-16" in incident.detail and "2025-11-17" in incident.detail


def overlap(new_adj: list[float], old_adj: list[float], closes: list[float]) -> pd.DataFrame:
    """Six sessions both sides hold; the stored side delivered raw closes, the new side
    auto-adjusted ones (its close is its adjusted close)."""
    return pd.DataFrame(
        {
            "date": pd.bdate_range("2025-09-10", periods=len(closes)),
            "new_adj": new_adj, "old_adj": old_adj, "new_close": new_adj, "old_close": closes,
            "new_adjustment": "auto", "old_adjustment": "raw", "new_dividends": 0.0,
        }
    )  # fmt: skip


def test_seam_judgement_on_hand_made_overlaps() -> None:
    closes = [100.0, 101, 102, 103, 104, 105]
    stored = [c * 0.99 for c in closes]  # one basis: factor 0.99 throughout
    # A constant ratio: a clean basis change, every stored row moves by it.
    clean = judge_seam("X", overlap([c * 0.98 for c in closes], stored, closes))
    assert clean.decision == "basis_change" and clean.factor == pytest.approx(0.98 / 0.99)
    # The new side steps by 0.3% on the 4th session while the raw closes do not: it broke.
    mixed = [c * (0.98 if i < 3 else 0.98 * 1.003) for i, c in enumerate(closes)]
    batch = judge_seam("X", overlap(mixed, stored, closes))
    assert (batch.decision, batch.batch_breaks, batch.stored_breaks) == ("batch_mixed", 1, 0)
    assert batch.steps[0]["date"] == "2025-09-15"
    dates = pd.Series(pd.bdate_range("2025-09-08", periods=8))
    assert list(batch.batch_factors(dates)[:5]) == pytest.approx([1.003] * 5)  # older stretch
    assert list(batch.batch_factors(dates)[5:]) == [1.0, 1.0, 1.0]
    # The stored factor falls on the 4th session: the stored side mixed bases.
    falling = [c * (0.99 if i < 3 else 0.99 / 1.003) for i, c in enumerate(closes)]
    stored_side = judge_seam("X", overlap([c * 0.98 for c in closes], falling, closes))
    assert stored_side.decision == "stored_mixed"
    before_and_after = pd.Series(pd.to_datetime(["2025-09-01", "2025-09-30"]))
    assert list(stored_side.stored_factors(before_and_after)) == pytest.approx(
        [0.98 / 0.99, 0.98 / 0.99 * 1.003]
    )
    # A one-day disagreement that comes back is a value, not a basis.
    blip = [c * 0.98 for c in closes]
    blip[2] *= 1.01
    value = judge_seam("X", overlap(blip, stored, closes))
    assert value.decision == "basis_change" and value.disagreements == ["2025-09-12"]
    # So is the last session alone (a stored bar taken before the close, corrected since):
    # the batch's older rows must not be re-scaled by it.
    late = [c * 0.98 for c in closes]
    late[-1] *= 1.005
    corrected = judge_seam("X", overlap(late, stored, closes))
    assert corrected.decision == "basis_change" and corrected.disagreements == ["2025-09-17"]
    assert corrected.factor == pytest.approx(0.98 / 0.99)


def test_a_stored_download_that_predates_a_dividend_is_the_side_re_based() -> None:
    """Both sides raw: the new one records a dividend on the 4th session (its factor rises),
    the stored one was fetched before it (flat factor). The dividend is real; stored broke."""
    closes = [100.0, 101, 102, 101, 102, 103]
    new_factor = [0.99, 0.99, 0.99, 1.0, 1.0, 1.0]
    frame = overlap([c * f for c, f in zip(closes, new_factor, strict=True)], closes, closes)
    frame["new_close"], frame["new_adjustment"] = closes, "raw"
    seam = judge_seam("X", frame)
    assert (seam.decision, seam.stored_breaks, seam.batch_breaks) == ("stored_mixed", 1, 0)
    assert seam.steps[0]["expected_return"] == pytest.approx(101 / 102 / 0.99 - 1)
    early = pd.Series(pd.to_datetime(["2025-01-02"]))
    assert list(seam.stored_factors(early)) == pytest.approx([0.99])
