"""The price sources' fetch plan: which sessions a run asks every price source for.

A pure function of the NYSE calendar and what is stored (the caller opens the connection),
kept with the price sources rather than in a stage, so a new price source (Stooq beside
Yahoo) plans the same way without a stage knowing it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rotation import calendar
from rotation.settings import PricesSettings
from sources.price_store import stored_extent

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
