"""Row-level checks for FRED observations (pure pandas, one reason string per row).

The parser already rejects non-numeric values. These checks catch numbers that cannot be
right for the series (a spread of 250 % is a unit slip, a negative claims count a bad edit);
the bounds are wide on purpose, well outside anything seen since 1950. A series without
bounds here is checked for finiteness and its date only.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from quality.suite import join_reasons

REQUIRED_COLUMNS = ("series_id", "date", "value")
EARLIEST_DATE = pd.Timestamp("1800-01-01")  # FRED's oldest series start in the 19th century
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "BAMLH0A0HYM2": (0.0, 40.0),  # HY OAS, percent (peak 21.8 in Dec 2008)
    "BAMLC0A0CM": (0.0, 15.0),  # IG OAS, percent
    "ICSA": (0.0, 10_000_000.0),  # initial claims, persons (peak 6.1 M in April 2020)
    "T10Y2Y": (-10.0, 10.0),  # percentage points
    "DGS10": (-5.0, 25.0),
    "DGS2": (-5.0, 25.0),
    "DFF": (-5.0, 30.0),
    "NFCI": (-10.0, 20.0),
    "UNRATE": (0.0, 40.0),
    "VIXCLS": (0.0, 200.0),
}


def fred_row_problems(frame: pd.DataFrame, *, today: dt.date | None = None) -> pd.Series:
    """One reason per row ('' when fine); NULL values (FRED's '.') are fine."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"FRED batch lacks column(s) {', '.join(missing)}")
    latest = pd.Timestamp(today or dt.date.today()) + pd.Timedelta(days=1)
    value = pd.to_numeric(frame["value"], errors="coerce")
    date = pd.to_datetime(frame["date"], errors="coerce")
    series = frame["series_id"].fillna("").astype(str)
    low = series.map(lambda s: PLAUSIBLE.get(s, (-np.inf, np.inf))[0]).astype(float)
    high = series.map(lambda s: PLAUSIBLE.get(s, (-np.inf, np.inf))[1]).astype(float)
    non_numeric = frame["value"].notna() & value.isna()
    checks = [
        (~series.str.fullmatch(r"[A-Z0-9_]+"), "series id is not a FRED id"),
        (date.isna(), "date is missing"),
        (date > latest, "date is in the future"),
        (date < EARLIEST_DATE, "date is before 1800"),
        (non_numeric, "value is not a number"),
        (value.notna() & ~np.isfinite(value.fillna(0)), "value is not finite"),
        (
            (value < low) | (value > high),
            "value " + value.astype(str) + " is outside the plausible range for " + series,
        ),
    ]
    reasons = join_reasons(checks, frame.index)
    if "file" in frame and "line_no" in frame:
        bad = reasons != ""
        where = frame["file"].astype(str) + " line " + frame["line_no"].astype(str) + ": "
        reasons[bad] = where[bad] + reasons[bad]
    return reasons
