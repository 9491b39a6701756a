"""Price CSV layouts: one pure parser for every layout Yahoo, yfinance and brokers deliver.

``parse_price_csv`` matches columns by name (any case, any order, extras ignored) and maps UTC
timestamps to the New York session. The replay twin (``sources.replay``) and the tests read
files with it; the live client reads frames with ``sources.yahoo.frame_from_yfinance``, which
shares the column names here. Bad values are never dropped: a ``null`` cell becomes NaN and its
row stays, so validation can quarantine it with its raw values.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from sources.prices import (
    ADJ_AUTO,
    ADJ_NONE,
    ADJ_RAW,
    LineReject,
    PriceFormatError,
    _assemble,
    _sorted,
)

NEW_YORK = ZoneInfo("America/New_York")


# --------------------------------------------------------------------------------------------
# CSV layouts: columns matched by name (case-insensitive), in any order
# --------------------------------------------------------------------------------------------

# Column names vendors use (lower-cased, spaces and underscores removed) → ours. Columns with
# other names (a broker's ``wap`` and ``count``, …) are ignored.
_COLUMN_NAMES = {
    "open": "open", "high": "high", "low": "low", "close": "close", "volume": "volume",
    "adjclose": "adj_close", "adjustedclose": "adj_close",
    "dividends": "dividends", "stocksplits": "splits", "splits": "splits",
}  # fmt: skip
_DATE_NAMES = {"date", "datetime", "timestamp"}
_REQUIRED = {"open", "high", "low", "close", "volume"}
# Yahoo's and yfinance's own spelling: a file without an adjusted close that uses exactly these
# names is a yfinance auto-adjusted frame; any other spelling (a broker's lower-case bars) is
# read as unadjusted, because nothing in it says a dividend was taken out.
_YAHOO_SPELLING = {"Open", "High", "Low", "Close", "Adj Close", "Volume", "Dividends",
                   "Stock Splits"}  # fmt: skip

CLASSIC_HEADER = ("Date", "Open", "High", "Low", "Close", "Adj Close", "Volume")
CLOSE_FIRST_HEADER = ("Date", "Close", "High", "Low", "Open", "Volume")


def _key(name: str) -> str:
    return re.sub(r"[\s_]+", "", name.strip().lower())


@dataclass(frozen=True)
class _Layout:
    name: str
    header_lines: int  # lines before the first data row
    width: int  # fields per data row, the date included
    positions: dict[str, int]  # our name → field index ("date" included)
    adjustment: str


def _split(line: str) -> list[str]:
    return next(csv.reader([line]), [])


def _columns(names: list[str], origin: str, line: str) -> tuple[dict[str, int], set[str]]:
    """Our name → field index for the fields we read, and the names as the file spelled them."""
    positions: dict[str, int] = {}
    spelled: set[str] = set()
    for index, name in enumerate(names):
        ours = "date" if _key(name) in _DATE_NAMES else _COLUMN_NAMES.get(_key(name))
        if ours is None:
            continue  # an extra column (wap, count, …): not ours to judge
        if ours in positions:
            raise PriceFormatError(f"{origin} line 1: column {name!r} appears twice in {line!r}")
        positions[ours] = index
        if ours != "date":
            spelled.add(name.strip())
    missing = ({"date"} | _REQUIRED) - set(positions)
    if missing:
        raise PriceFormatError(
            f"{origin} line 1: no {', '.join(sorted(missing))} column in {line!r} "
            "(need date, open, high, low, close, volume by name, in any order)"
        )
    return positions, spelled


def _adjustment(positions: dict[str, int], spelled: set[str]) -> str:
    if "adj_close" in positions:
        return ADJ_RAW
    return ADJ_AUTO if spelled <= _YAHOO_SPELLING else ADJ_NONE


def _one_header_layout(lines: list[str], symbol: str, origin: str) -> _Layout | None:
    """One header line naming a date column and the price columns, in any order.

    Covers Yahoo's classic download (``Date,Open,High,Low,Close,Adj Close,Volume``), a flattened
    yfinance frame (``Date,Close,High,Low,Open,Volume``, auto-adjusted) and a broker's bars
    (``date,open,high,low,close,volume,wap,count``, unadjusted).
    """
    names = _split(lines[0])
    if not any(_key(name) in _DATE_NAMES for name in names):
        return None
    positions, spelled = _columns(names, origin, lines[0])
    adjustment = _adjustment(positions, spelled)
    kind = {ADJ_RAW: "with adjusted close", ADJ_AUTO: "auto-adjusted", ADJ_NONE: "unadjusted"}
    return _Layout(f"one-header CSV, {kind[adjustment]}", 1, len(names), positions, adjustment)


def _yfinance_layout(lines: list[str], symbol: str, origin: str) -> _Layout | None:
    """``to_csv`` of a yfinance MultiIndex frame: ``Price,…`` / ``Ticker,…`` / ``Date,,,…``.

    Auto-adjusted unless the ``Price`` row has an ``Adj Close`` (saved with auto_adjust=False).
    """
    prices = _split(lines[0])
    if not prices or _key(prices[0]) != "price":
        return None
    if len(lines) < 3:
        raise PriceFormatError(
            f"{origin}: yfinance CSV needs three header lines (Price / Ticker / Date), "
            f"found {len(lines)} line(s)"
        )
    tickers, date_row = _split(lines[1]), _split(lines[2])
    if not tickers or _key(tickers[0]) != "ticker" or len(tickers) != len(prices):
        raise PriceFormatError(
            f"{origin} line 2: expected 'Ticker' and one ticker per column of line 1, "
            f"saw {lines[1]!r}"
        )
    if (
        not date_row
        or _key(date_row[0]) not in _DATE_NAMES
        or any(cell.strip() for cell in date_row[1:])
    ):
        raise PriceFormatError(
            f"{origin} line 3: expected 'Date' then empty cells, saw {lines[2]!r}"
        )
    unknown = [name for name in prices[1:] if _key(name) not in _COLUMN_NAMES]
    if unknown:
        raise PriceFormatError(
            f"{origin} line 1: unknown price column(s) {unknown} in {lines[0]!r}"
        )
    wrong = sorted({t for t in tickers[1:] if t.strip().upper() != symbol.upper()})
    if wrong:
        raise PriceFormatError(
            f"{origin} line 2: the file holds ticker(s) {', '.join(wrong)}, "
            f"but it was read for {symbol}"
        )
    # The date sits under "Price" (its name is on line 3).
    positions, _ = _columns(["Date", *prices[1:]], origin, lines[0])
    adjustment = ADJ_RAW if "adj_close" in positions else ADJ_AUTO  # yfinance by construction
    return _Layout("yfinance three-row-header CSV", 3, len(prices), positions, adjustment)


_LAYOUTS = (_one_header_layout, _yfinance_layout)
_KNOWN_HEADERS = (
    "Date, Open, High, Low, Close, Volume (any order, any case; Adj Close optional)",
    "Price,Close,High,Low,Open,Volume / Ticker,… / Date,,,,, (yfinance)",
)


def parse_price_csv(
    data: bytes | str,
    symbol: str,
    *,
    origin: str,
    rejects: list[LineReject] | None = None,
) -> pd.DataFrame:
    """Read one symbol's price CSV in any known layout into the normalised frame.

    ``origin`` (usually the file path) is named in every error. Columns are found by name,
    case-insensitively and in any order; columns we do not use are ignored. Literal ``null``
    or empty cells become NaN and their rows are kept. A date that does not parse, a number
    that is neither numeric nor ``null``, or a row with the wrong number of fields is an error
    naming the line; with a ``rejects`` list such a line is appended there instead and the
    file's other lines are read (a file is unreadable only when its header is).
    """
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise PriceFormatError(f"{origin}: not UTF-8 text ({exc})") from exc
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise PriceFormatError(f"{origin}: empty file, expected a header line")
    for detect in _LAYOUTS:
        layout = detect(lines, symbol, origin)
        if layout is not None:
            return _read_rows(lines, layout, symbol, origin, rejects)
    raise PriceFormatError(
        f"{origin}: unknown price CSV header {lines[0]!r}; expected one of: "
        + " | ".join(_KNOWN_HEADERS)
    )


def _read_rows(
    lines: list[str],
    layout: _Layout,
    symbol: str,
    origin: str,
    rejects: list[LineReject] | None = None,
) -> pd.DataFrame:
    width = layout.width
    line_numbers: list[int] = []
    rows: list[list[str]] = []
    for number, row in enumerate(csv.reader(lines[layout.header_lines :]), layout.header_lines + 1):
        if not row or not "".join(row).strip():
            continue  # a blank line is not a row
        if len(row) != width:
            reason = (
                f"{origin} line {number}: expected {width} fields ({layout.name}), "
                f"found {len(row)}: {','.join(row)!r}"
            )
            if rejects is None:
                raise PriceFormatError(reason)
            at = layout.positions["date"]
            day = session_dates(pd.Series([row[at].strip() if at < len(row) else ""]))[0]
            rejects.append(
                LineReject(symbol, number, reason, ",".join(row), None if pd.isna(day) else day)
            )
            continue
        line_numbers.append(number)
        rows.append(row)
    cells = np.array(rows, dtype=object).reshape(len(rows), width)
    if rejects is not None and len(rows):
        keep = _reject_unreadable(cells, layout, symbol, line_numbers, origin, rejects)
        cells = cells[keep]
        line_numbers = [n for n, k in zip(line_numbers, keep, strict=True) if k]
        rows = [r for r, k in zip(rows, keep, strict=True) if k]

    raw_dates = pd.Series(cells[:, layout.positions["date"]], dtype="str").str.strip()
    dates = session_dates(raw_dates)
    if dates.isna().any():
        i = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise PriceFormatError(
            f"{origin} line {line_numbers[i]}: cannot parse date {raw_dates.iloc[i]!r} "
            "(expected YYYY-MM-DD, optionally with a time and a UTC offset)"
        )
    parsed = {
        field: _parse_numbers(cells[:, j], field, line_numbers, origin)
        for field, j in layout.positions.items()
        if field != "date"
    }
    if "adj_close" not in parsed:
        parsed["adj_close"] = parsed["close"]
    no_action = np.zeros(len(rows))
    # An empty actions cell means "no dividend / no split" (0), unlike an empty price (NaN).
    dividends = np.nan_to_num(parsed.get("dividends", no_action), nan=0.0)
    splits = np.nan_to_num(parsed.get("splits", no_action), nan=0.0)
    frame = _assemble(symbol, dates, parsed, dividends, splits, layout.adjustment)
    return _sorted(frame)


def _reject_unreadable(
    cells: np.ndarray,
    layout: _Layout,
    symbol: str,
    line_numbers: list[int],
    origin: str,
    rejects: list[LineReject],
) -> np.ndarray:
    """Append each row whose date or a number does not parse to ``rejects``; the rows kept."""
    raw_dates = pd.Series(cells[:, layout.positions["date"]], dtype="str").str.strip()
    dates = session_dates(raw_dates)
    reasons = pd.Series("", index=raw_dates.index, dtype=object)
    bad_date = dates.isna()
    reasons[bad_date] = (
        "cannot parse date "
        + raw_dates[bad_date].map(repr)
        + " (expected YYYY-MM-DD, optionally with a time and a UTC offset)"
    )
    for field, j in layout.positions.items():
        if field == "date":
            continue
        text = pd.Series(cells[:, j], dtype="str").str.strip()
        is_null = text.isin(["", "null"]) | (text.str.lower() == "nan")
        bad = pd.to_numeric(text.where(~is_null), errors="coerce").isna() & ~is_null
        new = bad & (reasons == "")
        reasons[new] = f"{field} " + text[new].map(repr) + " is not a number or null"
    for i in np.flatnonzero((reasons != "").to_numpy()):
        day = dates.iloc[i]
        rejects.append(
            LineReject(
                symbol,
                line_numbers[i],
                f"{origin} line {line_numbers[i]}: {reasons.iloc[i]}",
                ",".join(str(c) for c in cells[i]),
                None if pd.isna(day) else day,
            )
        )
    return (reasons == "").to_numpy()


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WITH_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def session_dates(text: pd.Series) -> pd.Series:
    """The exchange date of each date or timestamp string (NaT where it does not parse).

    ``2020-07-27`` is that date. A timestamp with a UTC offset is converted to New York time
    first: ``2020-07-27 04:00:00+00:00`` is midnight in New York, the session of 2020-07-27
    (read naively as UTC, a late-evening timestamp would land on the wrong day). A timestamp
    without an offset is taken as New York wall-clock time.
    """
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    plain = text.str.match(_DATE_ONLY)
    if plain.any():
        out[plain] = pd.to_datetime(text[plain], format="%Y-%m-%d", errors="coerce")
    rest = ~plain
    if rest.any():
        aware = rest & text.str.contains(_WITH_OFFSET)
        if aware.any():
            stamps = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
            local = stamps.dt.tz_convert(NEW_YORK).dt.tz_localize(None)
            out[aware] = local.dt.normalize().astype("datetime64[ns]")
        naive = rest & ~aware
        if naive.any():
            stamps = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
            out[naive] = stamps.dt.normalize().astype("datetime64[ns]")
    return out


def _parse_numbers(
    cells: np.ndarray, field: str, line_numbers: list[int], origin: str
) -> np.ndarray:
    text = pd.Series(cells, dtype="str").str.strip()
    is_null = text.isin(["", "null"]) | (text.str.lower() == "nan")
    numbers = pd.to_numeric(text.where(~is_null), errors="coerce")
    bad = numbers.isna() & ~is_null
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise PriceFormatError(
            f"{origin} line {line_numbers[i]}: {field} {text.iloc[i]!r} is not a number or null"
        )
    return numbers.to_numpy(dtype="float64", na_value=np.nan)
