"""Every price source's contract: the batch, the interface, the normalised frame, the plan.

What the loader, validation and the stages consume from any price source (Yahoo's live client,
the replay twin, Stooq): ``PriceSource.fetch`` returns a ``PriceBatch`` whose frame has
``PRICE_COLUMNS``. ``adjustment`` says which basis the prices are on, because Yahoo's adjusted
history shifts with every dividend and a stored series must never mix bases: ``"raw"`` means
``close`` is the vendor's split-adjusted close and ``adj_close`` its dividend-adjusted one;
``"auto"`` means open/high/low/close are already adjusted and ``adj_close`` equals ``close``;
``"unadjusted"`` means a vendor gave no adjusted close and nothing says its closes carry
dividends (a broker's bars): ``adj_close`` equals ``close`` and returns are price-only.

The fetch plan (which sessions a run asks for) is a pure function of the NYSE calendar and what
is stored (the caller opens the connection), kept here rather than in a stage, so every price
source plans the same way without a stage knowing which one runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np
import pandas as pd

from rotation import calendar
from rotation.records import PRICE_COLUMNS
from rotation.settings import PricesSettings
from sources.price_store import stored_extent

VALUE_COLUMNS = ["open", "high", "low", "close", "adj_close", "volume"]
ADJ_RAW = "raw"  # close = vendor close (split-adjusted only), adj_close = dividend-adjusted
ADJ_AUTO = "auto"  # OHLC already adjusted for splits and dividends, adj_close = close
ADJ_NONE = "unadjusted"  # a vendor close with no dividend adjustment at all; adj_close = close


class PriceSourceError(RuntimeError):
    """The price source could not deliver (no network, timeout, rate limited, bad folder)."""


class PriceFormatError(ValueError):
    """A price file or frame is not in a layout we read; the message names the file and line."""


@dataclass(frozen=True, eq=False)  # eq=False: comparing DataFrames element-wise has no truth value
class PriceBatch:
    """What one fetch delivered, and what it did not."""

    frame: pd.DataFrame  # normalised, PRICE_COLUMNS
    requested: tuple[str, ...]  # symbols asked for
    missing_symbols: tuple[str, ...]  # asked for, nothing came back
    source: str  # "yahoo" or "replay:<folder name>"
    notes: tuple[str, ...] = ()  # human-readable remarks, e.g. a dropped forming bar
    # (symbol, reason) for symbols whose data came but could not be read (a cut or unknown
    # file): also in missing_symbols; only that symbol is lost, and the run records why
    damaged: tuple[tuple[str, str], ...] = ()
    # lines a file had that could not be read (cut mid-line, a date or number that does not
    # parse): the file's other lines load, these go to quarantine with file and line number
    rejected: tuple[LineReject, ...] = ()
    # when the bytes were fetched (or recorded, for a replay that knows it): validation judges
    # whether the last bar was final then; None when nobody knows (a folder of old CSVs)
    fetched_at: dt.datetime | None = None
    # the second vendor's batch for symbols this one delivered nothing for (see
    # pipeline.stages.fetch_prices); its symbols are no longer in missing_symbols
    fallback: PriceBatch | None = None


class LineReject(NamedTuple):
    """One line of a price file that could not be read, and why."""

    symbol: str
    line: int
    reason: str  # "<file> line N: …"
    text: str  # the line as received
    date: pd.Timestamp | None  # its session, when its date cell parsed


class PriceSource(Protocol):
    """Daily bars for ``symbols`` on the inclusive session range ``start``..``end``."""

    name: str

    def fetch(self, symbols: Sequence[str], start: dt.date, end: dt.date) -> PriceBatch: ...


# --------------------------------------------------------------------------------------------
# The normalised frame
# --------------------------------------------------------------------------------------------


def empty_price_frame() -> pd.DataFrame:
    """A frame with no rows and the normalised columns and dtypes."""
    return _assemble(
        pd.Series([], dtype="str"),
        pd.Series([], dtype="datetime64[ns]"),
        {c: np.array([], dtype="float64") for c in VALUE_COLUMNS},
        np.array([], dtype="float64"),
        np.array([], dtype="float64"),
        ADJ_RAW,
    )


def _assemble(
    symbol: Any,
    dates: Any,
    values: dict[str, Any],
    dividends: Any,
    splits: Any,
    adjustment: str,
) -> pd.DataFrame:
    n = len(dates)
    frame = pd.DataFrame(
        {
            "symbol": pd.Series(
                symbol if not isinstance(symbol, str) else [symbol] * n, dtype="str"
            ),
            "date": pd.Series(np.asarray(dates, dtype="datetime64[ns]")),
            **{c: pd.Series(np.asarray(values[c], dtype="float64")) for c in VALUE_COLUMNS},
            "dividends": pd.Series(np.asarray(dividends, dtype="float64")),
            "splits": pd.Series(np.asarray(splits, dtype="float64")),
            "adjustment": pd.Series([adjustment] * n, dtype="str"),
        }
    )
    return frame[PRICE_COLUMNS]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort by symbol, date; stable, so duplicate dates keep the order the source gave them."""
    return frame.sort_values(["symbol", "date"], kind="mergesort").reset_index(drop=True)


def concat_price_frames(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate normalised frames (skipping empty ones) and sort them."""
    non_empty = [f for f in frames if not f.empty]
    if not non_empty:
        return empty_price_frame()
    return _sorted(pd.concat(non_empty, ignore_index=True))


# --------------------------------------------------------------------------------------------
# The fetch plan
# --------------------------------------------------------------------------------------------


CATCH_UP_DAYS = 730  # a daily run fills gaps up to two years; older needs `rotation backfill`
FULL_HISTORY_BELOW = 260  # sessions: fewer stored than a year of them means "not loaded yet"


def price_window(con: Any, as_of: dt.date, prices: PricesSettings) -> tuple[dt.date, dt.date, str]:
    """The sessions this run fetches, and why.

    Normally the trailing ``lookback_sessions`` (so late corrections and vendor gaps heal).
    When the store is further behind (the machine was off for a week), the window reaches back
    ``lookback_sessions`` before the oldest "latest stored date", so the gap fills and the new
    rows overlap the stored ones (the loader needs common sessions to keep one adjustment
    basis). When a symbol has less than a year stored (a new database, a symbol just added),
    the run fetches from ``history_start``, so the 200-session averages have their history
    without a separate backfill.
    """
    window = calendar.previous_sessions(as_of, prices.lookback_sessions)
    extent = stored_extent(con, list(prices.symbols))
    short = sorted(s for s, (n, _) in extent.items() if n < FULL_HISTORY_BELOW)
    if short and prices.history_start < window[0]:
        return (
            prices.history_start,
            window[-1],
            f"history from {prices.history_start} (little or nothing stored for "
            f"{', '.join(short)})",
        )
    horizon = as_of - dt.timedelta(days=CATCH_UP_DAYS)  # older: a dead symbol, or backfill
    latest = [d for _, d in extent.values() if d is not None and horizon <= d < as_of]
    if latest:
        behind = calendar.previous_sessions(min(latest), prices.lookback_sessions)[0]
        if behind < window[0]:
            return behind, window[-1], f"catching up from {min(latest)} (stored data is behind)"
    return window[0], window[-1], f"trailing {prices.lookback_sessions} sessions"
