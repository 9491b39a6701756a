"""Plausibility per asset class: single stocks (index members) move far more than indices.

Hand-made bars on 30 real NYSE sessions. A stock's lasting move beyond its bound loads when
the raw and adjusted closes agree on it; it is held when they disagree, and quarantined when
it reverts. The same rows under a fund's 25 % bound are held as an unexplained level shift.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from quality.prices import FUND, INDEX, STOCK, PriceRules, validate_prices
from rotation import calendar

SESSIONS = list(calendar.session_index(dt.date(2025, 3, 3), dt.date(2025, 4, 30)))[:30]
RULES = PriceRules(0.25, {"^VIX": 3.0}, stock_max_daily_move=0.6, stocks=frozenset({"XBIO"}))


def bars(symbol: str, closes: list[float], adj_factors: list[float] | None = None) -> pd.DataFrame:
    """Raw bars with open = high = low = close and Yahoo's Adj Close = close * factor."""
    factors = adj_factors or [0.99] * len(closes)
    return pd.DataFrame(
        {
            "symbol": symbol,
            "date": pd.to_datetime(SESSIONS[: len(closes)]),
            "open": closes,
            "high": closes,
            "low": closes,
            "close": closes,
            "adj_close": [c * f for c, f in zip(closes, factors, strict=True)],
            "volume": 1_000_000.0,
            "dividends": 0.0,
            "splits": 0.0,
            "adjustment": "raw",
        }
    )


def test_asset_classes_and_their_bounds() -> None:
    assert [RULES.asset_class(s) for s in ("^RUT", "IWM", "XBIO")] == [INDEX, FUND, STOCK]
    assert [RULES.move_limit(s) for s in ("^VIX", "IWM", "XBIO")] == [3.0, 0.25, 0.6]


@pytest.mark.parametrize(("name", "after"), [("crash -70%", 3.0), ("buy-out +100%", 20.0)])
def test_a_lasting_move_both_closes_agree_on_loads(name: str, after: float) -> None:
    frame = bars("XBIO", [10.0] * 15 + [after] * 15)
    result = validate_prices(frame, RULES)
    assert result.batch_ok and result.quarantined.empty, name
    assert len(result.good) == 30 and not result.held_shifts


def test_the_same_move_in_a_fund_is_held_until_confirmed() -> None:
    frame = bars("IWM", [10.0] * 15 + [3.0] * 15)
    result = validate_prices(frame, RULES)
    assert len(result.quarantined) == 15
    assert result.quarantined["reason"].str.contains("level shift").all()
    assert [h.symbol for h in result.held_shifts] == ["IWM"]


def test_a_move_the_adjusted_close_does_not_share_is_held() -> None:
    # the raw close falls 70 % but the adjusted close stays: one of the two series is wrong
    frame = bars("XBIO", [10.0] * 15 + [3.0] * 15, [0.99] * 15 + [3.3] * 15)
    result = validate_prices(frame, RULES)
    assert len(result.good) == 15
    assert set(result.quarantined["date"]) == set(pd.to_datetime(SESSIONS[15:]))
    assert result.quarantined["reason"].str.contains("level shift").all()


def test_a_move_that_reverts_is_quarantined() -> None:
    frame = bars("XBIO", [10.0] * 15 + [3.0, 3.0] + [10.0] * 13)
    result = validate_prices(frame, RULES)
    assert list(result.quarantined["date"]) == list(pd.to_datetime(SESSIONS[15:17]))
    assert result.quarantined["reason"].str.contains("implausible daily move").all()
    assert len(result.good) == 28


def test_a_stock_move_within_its_bound_is_no_jump() -> None:
    frame = bars("XBIO", [10.0] * 15 + [5.0] * 15)  # -50 %: beyond a fund's bound, not a stock's
    result = validate_prices(frame, RULES)
    assert result.quarantined.empty


def test_a_crash_during_the_session_keeps_its_bar() -> None:
    # the stock opens at the previous close (10) and falls to 3 during the day: the bar's high
    # is over 3x its close, inside the range from the previous close to the close
    frame = bars("XBIO", [10.0] * 15 + [3.0] * 15)
    frame.loc[15, ["open", "high"]] = 10.0
    frame.loc[15, "low"] = 2.9
    result = validate_prices(frame, RULES)
    assert result.quarantined.empty and len(result.good) == 30
    # the same bar in a fund is beyond its range bound (and its move beyond its limit)
    fund = validate_prices(frame.assign(symbol="IWM"), RULES)
    crash_day = fund.quarantined.loc[fund.quarantined["date"] == pd.Timestamp(SESSIONS[15])]
    assert len(crash_day) == 1 and "sane bound" in crash_day["reason"].iloc[0]
