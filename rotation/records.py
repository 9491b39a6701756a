"""Record shapes shared across stages: what a source delivers is what validation checks.

Defined once here (the core every stage may import) so the price source and the price suite
cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# A normalised daily price row: see sources/yahoo.py for what each column means and
# sql/schema/002_raw_prices.sql for how it is stored.
PRICE_COLUMNS = [
    "symbol", "date", "open", "high", "low", "close", "adj_close",
    "volume", "dividends", "splits", "adjustment",
]  # fmt: skip


@dataclass(frozen=True)
class Before:
    """A symbol's stored rows just before a batch: the last close (with its adjustment mode),
    the last stored closes and volumes (oldest first, on that adjustment mode), and the rows an
    earlier run held as the start of a level shift (date, close). The loader reads it;
    validation judges the batch's first rows, last bar and level shifts against it. ``close``
    is None (and ``adjustment`` empty) when nothing is stored before the batch but an earlier
    run held a shift: a member whose whole history is fetched again (a new listing) must still
    have its held shift confirmed."""

    close: float | None
    adjustment: str
    volumes: tuple[float, ...] = ()
    closes: tuple[float, ...] = ()
    held: tuple[tuple[dt.date, float], ...] = ()
