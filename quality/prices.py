"""The price batch suite: what a row of daily prices must satisfy before it is loaded.

Some checks compare a row with its neighbours (the daily move, the adjusted-close factor, the
last bar's volume). GX row-level expectations see one row at a time, so those comparisons are
computed here as derived columns first, then checked by ordinary expectations, which keeps
every rule visible in one suite and every failing row reported with its reason.

Rules and why:
- close/adj_close/open/high/low present and positive; high >= max(open, close) and
  low <= min(open, close) (relative tolerance 1e-6): the shape of a daily bar.
- (symbol, date) unique; the date is an NYSE session (from 1970, see rotation.calendar):
  the ^VIX file of 2025-09-26 has 323 ``null`` rows on holidays.
- daily move within a bound (25% by default, 300% for ^VIX): a bad tick, not a crash. A
  spike that reverts the next day flags only the spike, not the good row after it.
- adjusted vs raw close: for ``raw`` rows the factor adj_close/close is at most 1 and never
  falls as time goes on (dividends only lower the factor of *earlier* rows). A row whose factor
  is above a later row's was adjusted on another basis (broken-adj-2022-11-18: ``Adj Close``
  equal to ``Close`` on ~145 scattered rows).
- the last bar's volume is at least 50% of the previous 20 sessions' median (20% on an
  early-close session): a bar downloaded before the close (yahoo-csv-2025-09-26: IWM 240.23
  on 36% of the usual volume, final 241.34; SPY on 43%; IWB on 16%). The trailing re-fetch of
  the next run replaces it with the final bar.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quality.suite import (
    ROW_ID,
    BatchVerdict,
    Check,
    missing_columns_verdict,
    run_suite,
    split_batch,
)
from rotation import calendar
from rotation.records import PRICE_COLUMNS, Before

ADJ_FACTOR_TOLERANCE = 1e-4  # vendors round adjusted closes to ~6 significant digits
BAR_TOLERANCE = 1e-6  # auto-adjusted bars carry float32 noise: high == close to ~1e-8
LAST_BAR_MIN_VOLUME_RATIO = 0.5
EARLY_CLOSE_MIN_VOLUME_RATIO = 0.2  # half-day sessions trade about half the usual volume


@dataclass(frozen=True)
class PriceRules:
    max_daily_move: float = 0.25
    max_daily_move_overrides: Mapping[str, float] | None = None

    def move_limit(self, symbol: str) -> float:
        return (self.max_daily_move_overrides or {}).get(symbol, self.max_daily_move)


def price_checks(columns: list[str]) -> list[Check]:
    """The suite as data: batch checks first, then row checks with their reasons."""
    checks = [
        Check(
            "ExpectTableColumnsToMatchSet",
            {"column_set": columns, "exact_match": False},
            f"batch is missing price columns (needs {', '.join(PRICE_COLUMNS)})",
            row_level=False,
        ),
        Check(
            "ExpectTableRowCountToBeBetween",
            {"min_value": 1},
            "batch is empty",
            row_level=False,
        ),
        Check("ExpectCompoundColumnsToBeUnique", {"column_list": ["symbol", "date"]},
              "duplicate (symbol, date)"),
    ]  # fmt: skip
    for column in ("close", "adj_close", "open", "high", "low"):
        checks.append(
            Check("ExpectColumnValuesToNotBeNull", {"column": column}, f"{column} is missing")
        )
        checks.append(
            Check(
                "ExpectColumnValuesToBeBetween",
                {"column": column, "min_value": 0, "strict_min": True},
                f"{column} is not positive",
            )
        )
    checks += [
        Check("ExpectColumnValuesToBeBetween",
              {"column": "high_shortfall", "max_value": BAR_TOLERANCE},
              "high below open or close"),
        Check("ExpectColumnValuesToBeBetween",
              {"column": "low_excess", "max_value": BAR_TOLERANCE},
              "low above open or close"),
    ]  # fmt: skip
    checks += [
        Check("ExpectColumnValuesToBeInSet", {"column": "is_session", "value_set": [True]},
              "date is not an NYSE session"),
        Check("ExpectColumnValuesToBeBetween", {"column": "move_vs_limit", "max_value": 1.0},
              "implausible daily move"),
        Check("ExpectColumnValuesToBeBetween",
              {"column": "adj_factor_excess", "max_value": ADJ_FACTOR_TOLERANCE},
              "adjusted close on another adjustment basis than later rows"),
        Check("ExpectColumnValuesToBeBetween",
              {"column": "last_bar_volume_ratio", "min_value": LAST_BAR_MIN_VOLUME_RATIO},
              "last bar looks intraday (volume far below the 20-session median)"),
    ]  # fmt: skip
    return checks


def _daily_move_vs_limit(group: pd.DataFrame, limit: float, prev_close: float | None) -> pd.Series:
    """|close/previous close - 1| / limit, where a reverted spike counts once.

    Measured on ``close`` (split-adjusted; a dividend moves it by a few per cent at most),
    skipping rows that cannot be priced.
    """
    out = pd.Series(np.nan, index=group.index)
    valid = group.index[(group["close"] > 0).fillna(False)]
    closes = group.loc[valid, "close"].to_numpy(dtype=float)
    previous = prev_close
    for pos, idx in enumerate(valid):
        if previous is not None and previous > 0:
            ratio = abs(closes[pos] / previous - 1) / limit
            out[idx] = ratio
            if ratio > 1 and pos + 1 < len(valid):
                # A spike that the next row undoes: measure the next row against the row
                # before the spike, so only the spike is quarantined.
                back = abs(closes[pos + 1] / previous - 1) / limit
                if back <= 1:
                    continue  # keep `previous` as the last good close
        previous = closes[pos]
    return out


def _adj_factor_excess(group: pd.DataFrame) -> pd.Series:
    """How far a row's adj/close factor stands above the lowest factor of any later row."""
    raw = group["adjustment"].eq("raw") & (group["close"] > 0) & (group["adj_close"] > 0)
    out = pd.Series(np.nan, index=group.index)
    if not raw.any():
        return out
    factor = (group.loc[raw, "adj_close"] / group.loc[raw, "close"]).to_numpy(dtype=float)
    later_min = np.minimum.accumulate(factor[::-1])[::-1]
    later_min = np.append(later_min[1:], np.inf)  # the minimum over rows strictly after
    excess = np.maximum(factor / np.minimum(later_min, 1.0), factor) - 1
    out[group.index[raw]] = excess
    return out


def _last_bar_volume_ratio(group: pd.DataFrame, earlier: tuple[float, ...]) -> pd.Series:
    """Last bar's volume over the median of the 20 sessions before it (stored ones included)."""
    out = pd.Series(np.nan, index=group.index)
    volume = group["volume"].dropna()
    if volume.empty:
        return out
    before = np.concatenate([np.asarray(earlier, dtype=float), volume.to_numpy()[:-1]])[-20:]
    if len(before) < 20:
        return out  # not enough history to judge; the next run's re-fetch heals a bad bar
    median = float(np.median(before))
    if median > 0:
        last_date = pd.Timestamp(group.loc[volume.index[-1], "date"]).date()
        scale = 1.0
        if calendar.is_session(last_date) and calendar.session_close(last_date).hour < 16:
            scale = LAST_BAR_MIN_VOLUME_RATIO / EARLY_CLOSE_MIN_VOLUME_RATIO
        out[volume.index[-1]] = float(volume.iloc[-1]) / median * scale
    return out


def with_derived_columns(
    frame: pd.DataFrame,
    rules: PriceRules,
    before: Mapping[str, Before] | None = None,
) -> pd.DataFrame:
    """Add ``row_id`` and the neighbour-based columns the suite checks.

    ``before`` describes each symbol's stored rows before the batch, so the first row of a
    short daily batch has a move to check and its last bar a volume history.
    """
    df = frame.reset_index(drop=True).copy()
    df[ROW_ID] = np.arange(len(df), dtype="int64")
    dates = pd.to_datetime(df["date"])
    checked = dates >= pd.Timestamp(calendar.RELIABLE_FROM)
    is_session = pd.Series(True, index=df.index)
    if checked.any():
        sessions = calendar.session_index(dates[checked].min().date(), dates[checked].max().date())
        is_session[checked] = dates[checked].isin(sessions)
    df["is_session"] = is_session
    low_side = np.minimum(df["open"], df["close"])
    df["high_shortfall"] = np.maximum(df["open"], df["close"]) / df["high"] - 1
    df["low_excess"] = df["low"] / low_side - 1
    df["move_vs_limit"] = np.nan
    df["adj_factor_excess"] = np.nan
    df["last_bar_volume_ratio"] = np.nan
    order = df.sort_values(["symbol", "date"], kind="stable")
    for symbol, group in order.groupby("symbol", sort=False):
        prev = (before or {}).get(str(symbol))
        prev_value = None
        if prev is not None and group["adjustment"].iloc[0] == prev.adjustment:
            prev_value = prev.close  # only compare like with like (raw with raw)
        df.loc[group.index, "move_vs_limit"] = _daily_move_vs_limit(
            group, rules.move_limit(str(symbol)), prev_value
        )
        df.loc[group.index, "adj_factor_excess"] = _adj_factor_excess(group)
        df.loc[group.index, "last_bar_volume_ratio"] = _last_bar_volume_ratio(
            group, prev.volumes if prev is not None else ()
        )
    return df


PriceValidation = BatchVerdict  # the price suite's verdict, same shape as every source's


def validate_prices(
    frame: pd.DataFrame,
    rules: PriceRules,
    before: Mapping[str, Before] | None = None,
) -> PriceValidation:
    """Split a price batch into rows to load and rows to quarantine, or block it whole."""
    missing = [c for c in PRICE_COLUMNS if c not in frame.columns]
    if missing:
        return missing_columns_verdict("price", frame, missing)
    df = with_derived_columns(frame, rules, before)
    result = run_suite(df, "prices", price_checks(list(df.columns)))
    return split_batch("price", df, result, PRICE_COLUMNS)


def reason_counts(quarantined: pd.DataFrame) -> dict[str, int]:
    """How many quarantined rows per reason (a row can have several)."""
    counts: dict[str, int] = {}
    for reasons in quarantined.get("reason", pd.Series(dtype=str)):
        for reason in str(reasons).split("; "):
            counts[reason] = counts.get(reason, 0) + 1
    return counts
