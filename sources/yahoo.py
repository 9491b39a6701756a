"""Yahoo Finance daily prices: the record shape, the parsers, and the live client.

Three parts, as for every source:

* **Record shape.** ``PRICE_COLUMNS`` and ``PriceBatch``: what the loader, validation and the
  flow consume. ``adjustment`` says which basis the prices are on, because Yahoo's adjusted
  history shifts with every dividend and a stored series must never mix bases: ``"raw"`` means
  ``close`` is the vendor's split-adjusted close and ``adj_close`` its dividend-adjusted one;
  ``"auto"`` means open/high/low/close are already adjusted and ``adj_close`` equals ``close``;
  ``"unadjusted"`` means a vendor gave no adjusted close and nothing says its closes carry
  dividends (a broker's bars): ``adj_close`` equals ``close`` and returns are price-only.
* **Parsers** (pure, no I/O): ``parse_price_csv`` reads each CSV layout Yahoo, yfinance and
  brokers deliver, matching columns by name (any case, any order, extras ignored) and mapping
  UTC timestamps to the New York session; ``frame_from_yfinance`` reads a ``yf.download``
  frame. The replay
  twin (``sources.replay``) and the live client share them, so the only difference between a
  replayed and a live run is where the bytes come from.
* **Client.** ``YahooPriceSource`` wraps one batched ``yf.download``. yfinance never raises for
  a failed ticker (it logs and returns what it got), stalls ~100 s on a black-holed network
  whatever its ``timeout=`` says, and defaults ``auto_adjust`` to a value that changed between
  versions; the client therefore passes every option explicitly, works out itself which symbols
  came back, bounds the wall time from outside, and retries only on rate limiting.

Bad values are never dropped here: a ``null`` cell becomes NaN and its row stays, so validation
can quarantine it with its raw values.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import re
import socket
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from rotation.records import PRICE_COLUMNS
from sources.retry import DeadlineExceeded, backoff_delays, run_with_deadline

VALUE_COLUMNS = ["open", "high", "low", "close", "adj_close", "volume"]
ADJ_RAW = "raw"  # close = vendor close (split-adjusted only), adj_close = dividend-adjusted
ADJ_AUTO = "auto"  # OHLC already adjusted for splits and dividends, adj_close = close
ADJ_NONE = "unadjusted"  # a vendor close with no dividend adjustment at all; adj_close = close

YAHOO_HOST = ("query2.finance.yahoo.com", 443)  # the host yfinance's chart API calls go to
NEW_YORK = ZoneInfo("America/New_York")
BAR_FINAL_AFTER = dt.time(16, 15)  # the close is 16:00 ET; Yahoo's daily bar settles shortly after


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


# --------------------------------------------------------------------------------------------
# yfinance frames
# --------------------------------------------------------------------------------------------


def frame_from_yfinance(raw: pd.DataFrame | None, symbols: Sequence[str]) -> pd.DataFrame:
    """Turn a ``yf.download(..., group_by="column")`` frame into the normalised frame.

    ``raw`` has ``(Price, Ticker)`` MultiIndex columns; with ``auto_adjust=False`` it has an
    ``Adj Close`` (adjustment ``"raw"``), with ``True`` it has none (``"auto"``). Symbols are
    matched case-insensitively (yfinance upper-cases them) and reported as requested.

    yfinance reindexes every ticker to the union of all tickers' dates, so a ticker that has
    no bar on a date (or failed altogether) gets an all-NaN row there. Those padding rows are
    not something Yahoo said and are left out; they are recognisable because yfinance fills a
    real bar's missing volume with 0, so only padding has NaN volume *and* NaN prices. Rows
    with some prices missing are kept (NaN) for validation to quarantine.
    """
    if raw is None or raw.empty:
        return empty_price_frame()
    raw = _price_ticker_columns(raw, symbols)
    price_names = set(raw.columns.get_level_values("Price"))
    missing = {"Open", "High", "Low", "Close", "Volume"} - price_names
    if missing:
        raise PriceFormatError(f"yfinance frame lacks column(s) {sorted(missing)}")
    adjustment = ADJ_RAW if "Adj Close" in price_names else ADJ_AUTO

    index = pd.DatetimeIndex(raw.index)
    if index.tz is not None:
        # The exchange's date: a UTC midnight-in-New-York stamp (04:00+00:00) is that session.
        index = index.tz_convert(NEW_YORK).tz_localize(None)
    dates = index.normalize()

    by_ticker = {t.upper(): t for t in raw.columns.get_level_values("Ticker")}
    frames = []
    for symbol in dict.fromkeys(symbols):
        ticker = by_ticker.get(symbol.upper())
        if ticker is None:
            continue
        sub = raw.xs(ticker, axis=1, level="Ticker")
        values = {
            _COLUMN_NAMES[_key(str(theirs))]: sub[theirs].to_numpy(dtype="float64", na_value=np.nan)
            for theirs in sub.columns
            if _key(str(theirs)) in _COLUMN_NAMES
        }
        values.setdefault("adj_close", values["close"])
        padding = np.isnan(np.column_stack([values[c] for c in VALUE_COLUMNS])).all(axis=1)
        keep = ~padding
        no_action = np.zeros(len(keep))
        frames.append(
            _assemble(
                symbol,
                dates[keep],
                {c: values[c][keep] for c in VALUE_COLUMNS},
                np.nan_to_num(values.get("dividends", no_action)[keep], nan=0.0),
                np.nan_to_num(values.get("splits", no_action)[keep], nan=0.0),
                adjustment,
            )
        )
    return concat_price_frames(frames)


def _price_ticker_columns(raw: pd.DataFrame, symbols: Sequence[str]) -> pd.DataFrame:
    """Columns as a (Price, Ticker) MultiIndex, whatever ``group_by`` or level names were used."""
    columns = raw.columns
    if not isinstance(columns, pd.MultiIndex):
        if len(symbols) != 1:
            raise PriceFormatError(
                f"yfinance frame has flat columns {list(columns)} for {len(symbols)} symbols; "
                "download with group_by='column' and multi_level_index=True"
            )
        return pd.concat({symbols[0]: raw}, axis=1, names=["Ticker", "Price"]).swaplevel(
            0, 1, axis=1
        )
    if columns.nlevels != 2:
        raise PriceFormatError(f"yfinance frame has {columns.nlevels} column levels, expected 2")
    if list(columns.names) == ["Ticker", "Price"]:
        return raw.swaplevel(0, 1, axis=1)
    out = raw.copy(deep=False)
    out.columns = columns.set_names(["Price", "Ticker"])
    return out


# --------------------------------------------------------------------------------------------
# The live client
# --------------------------------------------------------------------------------------------

DownloadFn = Callable[..., "pd.DataFrame | None"]


def default_cache_dir() -> Path:
    """Where yfinance keeps its timezone and cookie caches: the user's cache, never the repo."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rotation-monitor" / "yfinance"


class _YfinanceFailures(logging.Handler):
    """Collects yfinance's per-ticker failure lines, which are its only report of them.

    ``yf.download`` catches every per-ticker exception and logs ``['SPY', 'IWM']: <error>``.
    """

    _LINE = re.compile(r"^\[(?P<tickers>[^\]]*)\]: (?P<error>.+)$", re.S)

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.by_ticker: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        match = self._LINE.match(record.getMessage())
        if match:
            for ticker in re.findall(r"'([^']+)'", match["tickers"]):
                self.by_ticker[ticker.upper()] = match["error"].strip()


def _is_rate_limit(error: BaseException | str) -> bool:
    if isinstance(error, BaseException):
        if type(error).__name__ == "YFRateLimitError":
            return True
        error = str(error)
    return "YFRateLimitError" in error or "Too Many Requests" in error or "Rate limited" in error


def _https_proxy_for(host: str) -> tuple[str, int] | None:
    """The HTTPS proxy the environment configures for ``host``, if any (then probe that)."""
    proxy = urllib.request.getproxies().get("https")
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if not parts.hostname:
        return None
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def probe_reachable(host: str, port: int, timeout_s: float) -> None:
    """Open (and close) a TCP connection to ``host:port``; raise ``PriceSourceError`` if we can't.

    Seconds instead of yfinance's minutes when there is no network. The DNS lookup is inside
    the bound too (``create_connection``'s timeout covers only the connect).
    """
    proxy = _https_proxy_for(host) if (host, port) == YAHOO_HOST else None
    target = proxy or (host, port)
    what = f"the HTTPS proxy {target[0]}:{target[1]} for {host}" if proxy else f"{host}:{port}"

    def connect() -> None:
        socket.create_connection(target, timeout=timeout_s).close()

    try:
        run_with_deadline(connect, timeout_s, name="yahoo-probe")
    except DeadlineExceeded:
        reason = f"no answer within {timeout_s:g} s"
    except socket.gaierror as exc:
        reason = f"DNS lookup failed ({exc.strerror or exc})"
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
    else:
        return
    raise PriceSourceError(
        f"cannot reach Yahoo Finance ({what}): {reason}; check the network or use --replay DIR"
    )


def drop_forming_bar(frame: pd.DataFrame, now: dt.datetime) -> tuple[pd.DataFrame, str | None]:
    """Remove bars for today's session while it has not closed; say what was dropped.

    Before the close Yahoo serves a partial bar for today (the real data has one: IWM 240.23
    intraday against a final 241.34). Storing it would put a wrong close in the history.
    """
    local = now.astimezone(NEW_YORK)
    if local.time() >= BAR_FINAL_AFTER or frame.empty:
        return frame, None
    forming = (frame["date"] == pd.Timestamp(local.date())).to_numpy()
    if not forming.any():
        return frame, None
    symbols = ", ".join(dict.fromkeys(frame.loc[forming, "symbol"]))
    note = (
        f"dropped forming bar for {local.date().isoformat()} ({symbols}): the session has not "
        f"closed (now {local:%H:%M} ET; bars are final after {BAR_FINAL_AFTER:%H:%M} ET)"
    )
    return frame.loc[~forming].reset_index(drop=True), note


class YahooPriceSource:
    """Live daily bars from Yahoo Finance through one batched ``yf.download`` per attempt.

    ``download`` replaces ``yf.download`` (tests pass a fake, or ``yf.download`` bound to a
    session that answers from recorded JSON); it is called with keyword arguments only.
    """

    name = "yahoo"

    def __init__(
        self,
        timeout_s: float = 60.0,
        max_attempts: int = 3,
        *,
        download: DownloadFn | None = None,
        probe_address: tuple[str, int] | None = YAHOO_HOST,
        probe_timeout_s: float = 5.0,
        backoff_s: float = 2.0,
        cache_dir: Path | None = None,
        threads: bool | int = True,
        clock: Callable[[], dt.datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.probe_address = probe_address
        self.probe_timeout_s = probe_timeout_s
        self.backoff_s = backoff_s
        self.cache_dir = cache_dir
        self.threads = threads
        self._download = download
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._sleep = sleep

    def fetch(self, symbols: Sequence[str], start: dt.date, end: dt.date) -> PriceBatch:
        wanted = tuple(dict.fromkeys(symbols))
        if not wanted:
            raise ValueError("no symbols to fetch")
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        if self.probe_address is not None:
            probe_reachable(*self.probe_address, self.probe_timeout_s)
        download = self._resolve_download()

        frames: list[pd.DataFrame] = []
        errors: dict[str, str] = {}
        notes: list[str] = []
        pending: tuple[str, ...] = wanted
        delays = backoff_delays(self.max_attempts, base_s=self.backoff_s)
        for attempt in range(1, self.max_attempts + 1):
            frame, attempt_errors, rate_limited = self._attempt(download, pending, start, end)
            frames.append(frame)
            errors.update(attempt_errors)
            pending = tuple(s for s in pending if s in rate_limited)
            delay = next(delays, None)
            if not pending or delay is None:
                break
            notes.append(
                f"Yahoo rate-limited attempt {attempt} of {self.max_attempts} for "
                f"{', '.join(pending)}; retried after {delay:g} s"
            )
            self._sleep(delay)

        combined = concat_price_frames(frames)
        if pending and combined.empty:
            raise PriceSourceError(
                f"Yahoo Finance rate-limited all {self.max_attempts} attempts for "
                f"{', '.join(pending)}; try again later or use --replay DIR"
            )
        in_range = combined["date"].between(pd.Timestamp(start), pd.Timestamp(end))
        now = self._clock()
        combined, forming_note = drop_forming_bar(
            combined.loc[in_range].reset_index(drop=True), now
        )
        if forming_note:
            notes.append(forming_note)
        delivered = set(combined["symbol"])
        missing = tuple(s for s in wanted if s not in delivered)
        for symbol in missing:
            reason = errors.get(symbol.upper(), "no rows in the requested range")
            notes.append(f"{symbol}: nothing came back from Yahoo ({reason})")
        return PriceBatch(combined, wanted, missing, self.name, tuple(notes), fetched_at=now)

    def _resolve_download(self) -> DownloadFn:
        """Import yfinance only when fetching (1.3 s), and keep its caches out of the repo."""
        import yfinance as yf

        yf.set_tz_cache_location(str(self.cache_dir or default_cache_dir()))
        return self._download or yf.download

    def _attempt(
        self, download: DownloadFn, symbols: tuple[str, ...], start: dt.date, end: dt.date
    ) -> tuple[pd.DataFrame, dict[str, str], set[str]]:
        """One bounded download: (frame, errors by upper-case ticker, rate-limited symbols)."""
        failures = _YfinanceFailures()
        logger = logging.getLogger("yfinance")
        logger.addHandler(failures)

        def call() -> pd.DataFrame | None:
            return download(
                list(symbols),
                start=start.isoformat(),
                end=(end + dt.timedelta(days=1)).isoformat(),  # yfinance's end is exclusive
                auto_adjust=False,  # keep the vendor close and Adj Close separately
                actions=True,
                keepna=False,
                progress=False,
                group_by="column",
                multi_level_index=True,
                threads=self.threads,
            )

        try:
            raw = run_with_deadline(call, self.timeout_s, name="yfinance-download")
        except DeadlineExceeded:
            raise PriceSourceError(
                f"Yahoo Finance did not answer within {self.timeout_s:g} s "
                f"(download of {', '.join(symbols)}); the network may be blocking it: "
                "try again later or use --replay DIR"
            ) from None
        except Exception as exc:
            if _is_rate_limit(exc):
                return empty_price_frame(), {s.upper(): repr(exc) for s in symbols}, set(symbols)
            raise PriceSourceError(
                f"yfinance download of {', '.join(symbols)} failed: {exc!r}"
            ) from exc
        finally:
            logger.removeHandler(failures)

        frame = frame_from_yfinance(raw, symbols)
        delivered = set(frame["symbol"])
        rate_limited = {
            s
            for s in symbols
            if s not in delivered and _is_rate_limit(failures.by_ticker.get(s.upper(), ""))
        }
        return frame, failures.by_ticker, rate_limited
