"""The price suite on every real snapshot, and on hand-made rows for each rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quality.price_neighbours import judge_closes, odd_basis_rows
from quality.prices import Before, PriceRules, reason_counts, validate_prices
from sources.price_csv import parse_price_csv
from sources.prices import concat_price_frames

RULES = PriceRules(0.25, {"^VIX": 3.0})


def snapshot(shared_data: Path, name: str) -> pd.DataFrame:
    folder = shared_data / "prices" / name
    return concat_price_frames(
        [
            parse_price_csv(f.read_bytes(), f.stem, origin=str(f))
            for f in sorted(folder.glob("*.csv"))
        ]
    )


def test_yahoo_csv_2025_quarantines_vix_nulls_and_the_intraday_bars(shared_data: Path) -> None:
    result = validate_prices(snapshot(shared_data, "yahoo-csv-2025-09-26"), RULES)
    assert result.batch_ok
    q = result.quarantined
    # The 323 literal-null ^VIX rows fall on holidays: missing values and not a session.
    vix = q[q["symbol"] == "^VIX"]
    assert len(vix) == 323
    assert vix["reason"].str.contains("close is missing").all()
    assert vix["reason"].str.contains("date is not an NYSE session").all()
    # The last rows of IWM, SPY, IWB were downloaded before the close (IWM 240.23 vs 241.34).
    intraday = q[q["reason"].str.contains("intraday")]
    assert sorted(intraday["symbol"]) == ["IWB", "IWM", "SPY"]
    assert set(intraday["date"]) == {pd.Timestamp("2025-09-26")}
    # IWB 2010-05-06 (the flash crash): low 25.00 under a close of 62.40, a trade the
    # exchanges broke that evening; the bar's range is not the session's.
    wild = q[q["reason"].str.contains("sane bound")]
    assert list(zip(wild["symbol"], wild["date"], strict=True)) == [
        ("IWB", pd.Timestamp("2010-05-06"))
    ]
    assert len(q) == 327
    assert len(result.good) == 54845 - 327


def test_broken_adj_2022_keeps_the_basis_most_rows_agree_on(shared_data: Path) -> None:
    result = validate_prices(snapshot(shared_data, "broken-adj-2022-11-18"), RULES)
    assert result.batch_ok
    counts = reason_counts(result.quarantined)
    assert counts == {"adjusted close on another adjustment basis than most rows": 21 + 27}
    # IWM's factor adj/close steps up at each ex-dividend date until 0.99804 (2021-12-13..
    # 2022-03-23), then is 1.0 (adj == close) on 2022-03-24..05-09 and 2022-06-09..11-18: one
    # basis, a download made between the March and June dividends. Only 2022-05-10..06-08
    # (0.99737: adjusted for the June dividend, a later download) stands below rows before it.
    iwm = result.quarantined[result.quarantined["symbol"] == "IWM"]
    assert len(iwm) == 21
    assert iwm["date"].min() == pd.Timestamp("2022-05-10")
    assert iwm["date"].max() == pd.Timestamp("2022-06-08")
    spy = result.quarantined[result.quarantined["symbol"] == "SPY"]
    assert (spy["date"].min(), spy["date"].max()) == (
        pd.Timestamp("2022-05-10"), pd.Timestamp("2022-06-16"),
    )  # fmt: skip
    # What is kept is on one basis: the factor never falls as time goes on.
    for symbol, rows in result.good.groupby("symbol"):
        factor = (rows["adj_close"] / rows["close"]).to_numpy()
        assert (np.diff(factor) > -1e-4).all(), symbol
    # The indices have Adj Close == Close throughout: consistent, nothing quarantined.
    assert not result.quarantined["symbol"].isin(["^RUT", "^GSPC"]).any()


def test_stitched_2026_quarantines_the_labor_day_row_and_the_zero_volume_bar(
    shared_data: Path,
) -> None:
    result = validate_prices(snapshot(shared_data, "stitched-2026-02-23"), RULES)
    q = result.quarantined.set_index("symbol")
    assert len(q) == 2
    assert q.loc["^VIX", "date"] == pd.Timestamp("2025-09-01")
    assert "not an NYSE session" in q.loc["^VIX", "reason"]
    assert q.loc["^RUT", "date"] == pd.Timestamp("2026-02-23")
    assert "intraday" in q.loc["^RUT", "reason"]


def test_yfinance_2026_passes_whole(shared_data: Path) -> None:
    result = validate_prices(snapshot(shared_data, "yfinance-2026-03-10"), RULES)
    assert result.batch_ok and result.quarantined.empty
    assert len(result.good) == 2 * 4826


def bars(closes: list[float], symbol: str = "IWM", start: str = "2024-01-02") -> pd.DataFrame:
    dates = pd.bdate_range(start, periods=len(closes), freq="C", holidays=["2024-01-15"])
    c = np.asarray(closes, dtype=float)
    return pd.DataFrame(
        {
            "symbol": symbol, "date": dates, "open": c, "high": c * 1.01, "low": c * 0.99,
            "close": c, "adj_close": c, "volume": 1000.0, "dividends": 0.0, "splits": 0.0,
            "adjustment": "raw",
        }
    )  # fmt: skip


def test_a_reverted_spike_quarantines_only_the_spike() -> None:
    frame = bars([100, 101, 150, 102, 103])
    result = validate_prices(frame, RULES)
    assert list(result.quarantined["close"]) == [150]
    assert result.quarantined["reason"].iloc[0] == "implausible daily move"
    assert len(result.good) == 4


def test_a_lasting_jump_is_held_from_the_shift_on() -> None:
    # A level shift (a missed split) holds every row of the new level, not just its first.
    result = validate_prices(bars([100, 101, 100.5, 102, 101, 50, 50.5, 51]), RULES)
    assert list(result.quarantined["close"]) == [50, 50.5, 51]
    assert result.quarantined["reason"].str.startswith("level shift from 2024-01-09").all()
    assert [h.shift.date.isoformat() for h in result.held_shifts] == ["2024-01-09"]
    (incident,) = result.incidents()
    assert (incident.source, incident.subject, incident.kind) == ("prices", "IWM", "level_shift")
    assert "2024-01-09" in incident.detail and "-50.5%" in incident.detail


def test_first_row_of_a_daily_batch_is_checked_against_the_stored_close() -> None:
    frame = bars([100, 101])
    # Stored history at 60, the batch at 100: a level shift against the stored reference,
    # held whole (the stored history is what earlier runs accepted).
    result = validate_prices(frame, RULES, {"IWM": Before(60.0, "raw", closes=(60.0,) * 5)})
    assert list(result.quarantined["close"]) == [100, 101]
    assert result.quarantined["reason"].str.startswith("level shift from 2024-01-02").all()
    # A bad first value that the rest of the batch contradicts is the odd one, not the rest.
    spike = validate_prices(bars([30, 101, 102]), RULES, {"IWM": Before(100.0, "raw")})
    assert list(spike.quarantined["close"]) == [30]
    assert spike.quarantined["reason"].iloc[0] == "implausible daily move"
    # ... but not against a stored close on another basis (auto-adjusted history).
    assert validate_prices(frame, RULES, {"IWM": Before(60.0, "auto")}).quarantined.empty


def test_bar_shape_duplicates_and_missing_values() -> None:
    frame = bars([100, 101, 102, 103, 104, 105, 106, 107])
    frame.loc[1, "high"] = 99.0  # below open/close
    frame.loc[2, "close"] = np.nan
    frame = pd.concat([frame, frame.iloc[[7]]], ignore_index=True)  # duplicate (symbol, date)
    result = validate_prices(frame, RULES)
    reasons = dict(zip(result.quarantined.index, result.quarantined["reason"], strict=True))
    assert "high below open or close" in reasons[1]
    assert "close is missing" in reasons[2]
    # an identical repeat: the first row is kept, the repeat set aside (quality/price_duplicates)
    assert sum("duplicate (symbol, date)" in r for r in reasons.values()) == 1
    assert result.batch_ok and len(result.good) == 6  # 3 of 9 bad: not "mostly bad"


def test_last_bar_volume_uses_stored_history() -> None:
    frame = bars([100, 101, 102])
    frame.loc[2, "volume"] = 300.0
    history = tuple([1000.0] * 20)
    result = validate_prices(frame, RULES, {"IWM": Before(99.5, "raw", history)})
    assert list(result.quarantined["date"]) == [frame.loc[2, "date"]]
    assert validate_prices(frame, RULES).quarantined.empty  # no history: cannot judge


def test_wrong_columns_block_the_batch() -> None:
    result = validate_prices(bars([100, 101]).drop(columns=["adj_close"]), RULES)
    assert not result.batch_ok
    assert "missing columns adj_close" in result.message
    assert result.good.empty


def test_empty_batch_is_blocked() -> None:
    result = validate_prices(bars([100]).iloc[0:0], RULES)
    assert not result.batch_ok and "batch is empty" in result.message


def test_mostly_bad_batch_is_blocked_and_its_rows_still_quarantined() -> None:
    frame = bars([100, 101, 102, 103])
    frame.loc[0:2, "close"] = -1.0
    result = validate_prices(frame, RULES)
    assert not result.batch_ok
    assert "3 of 4 rows failed" in result.message
    assert len(result.quarantined) == 3 and result.good.empty


@pytest.mark.parametrize("symbol,limit", [("IWM", 0.25), ("^VIX", 3.0)])
def test_move_bound_per_symbol(symbol: str, limit: float) -> None:
    assert RULES.move_limit(symbol) == limit


def test_a_split_in_the_vendor_actions_explains_a_shift_against_stored_closes() -> None:
    # Stored before a 4:1 split at ~400; the new download's closes are split-adjusted (~100)
    # from its first row, and its actions show the split on the third row.
    frame = bars([100, 101, 102, 103])
    frame.loc[2, "splits"] = 4.0
    stored = Before(400.0, "raw", closes=(398.0, 401.0, 400.0))
    result = validate_prices(frame, RULES, {"IWM": stored})
    assert result.quarantined.empty and result.held_shifts == []
    # Without the split in the actions the same batch is held.
    frame.loc[2, "splits"] = 0.0
    assert len(validate_prices(frame, RULES, {"IWM": stored}).quarantined) == 4


@pytest.mark.parametrize(
    ("factors", "odd"),
    [
        ([0.98, 0.98, 0.99, 0.99, 0.97, 0.99, 1.0], [4]),  # a lower factor near the end
        ([0.98, 0.98, 1.0, 0.99, 0.99, 1.0], [2]),  # a higher one before the last dividend
        ([1.0, 0.98, 0.98, 0.99, 0.99], [0]),  # the first row on another basis
        ([0.98, 0.98 * (1 + 5e-5), 0.98, 0.99], []),  # rounding noise is one basis
    ],
)
def test_the_basis_most_rows_agree_on_is_kept(factors: list[float], odd: list[int]) -> None:
    excess = odd_basis_rows(np.array(factors), 1e-4)
    assert list(np.flatnonzero(excess > 1e-4)) == odd


def test_a_spike_of_several_rows_and_a_bad_start_are_the_odd_ones() -> None:
    closes = np.array([30.0, 100, 101, 102, 160, 161, 103, 104, 105, 106, 107, 108])
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(len(closes))]
    none = np.zeros(len(closes))
    judged = judge_closes(closes, days, none, none, 0.25)
    assert list(np.flatnonzero(~np.isnan(judged.outlier_move))) == [0, 4, 5]
    assert not judged.held.any() and judged.shifts == []
