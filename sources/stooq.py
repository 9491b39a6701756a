"""Stooq daily bars: the second price vendor, asked where Yahoo delivers nothing.

Three parts, as for every source:

* **Parser** (pure, no I/O): ``parse_stooq_csv`` reads both of Stooq's daily layouts: the bulk
  download's ``<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>`` (one
  file per ticker, or many tickers in one file with an extra ``<SOURCE_PATH>`` column, as in
  ``../shared/data/member-prices``) and the per-symbol endpoint's
  ``Date,Open,High,Low,Close,Volume``. Rows come out in the project's price row shape
  (``rotation.records.PRICE_COLUMNS``).
* **Replay twin** (``StooqReplaySource``): reads a bulk file once (1.1 M rows in a few
  seconds), indexes it by the file each row came from, and answers any number of fetches from
  memory; ``stooq-ticker-map.json`` maps holdings tickers to Stooq files (``BRKB`` is
  ``brk-b.us``).
* **Live client** (``StooqPriceSource``): one GET per symbol through ``sources.http`` (timeouts,
  retries on 429/5xx only, User-Agent). Since March 2026 Stooq wants a free API key
  (``ROTATION_STOOQ_APIKEY``); without one the client is off and says so once, and an HTML page
  where CSV was expected (no key, a wrong key) is one clear line, never parsed as prices.

What Stooq's numbers are, and why the basis label is ``auto``: Stooq back-adjusts open, high,
low and close for splits *and* dividends at download time and gives no raw close, so the rows
are labelled ``adjustment = "auto"`` with ``adj_close = close`` (the same meaning as yfinance's
auto-adjusted frames). Its volumes are split-adjusted too, hence fractional
(``13673516.552881``); they are kept as they are. Stooq reports no dividends or splits, so
``dividends`` and ``splits`` are 0: a level shift in Stooq's series is judged like any other
unexplained one, and the seam against stored Yahoo rows is judged on the adjusted closes
(docs/sources.md, "Stooq").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rotation import calendar
from rotation.records import PRICE_COLUMNS
from sources.http import HttpClient, HttpError
from sources.prices import (
    ADJ_AUTO,
    PriceBatch,
    PriceFormatError,
    PriceSourceError,
    concat_price_frames,
    empty_price_frame,
)
from sources.yahoo import BAR_FINAL_AFTER

log = logging.getLogger(__name__)

NAME = "stooq"
BULK_HEADER = ("<TICKER>", "<PER>", "<DATE>", "<TIME>", "<OPEN>", "<HIGH>", "<LOW>", "<CLOSE>",
               "<VOL>", "<OPENINT>")  # fmt: skip
SOURCE_PATH = "<SOURCE_PATH>"  # the extra column of the shared multi-ticker file
ENDPOINT_HEADER = ("date", "open", "high", "low", "close", "volume")
_VALUES = {"<OPEN>": "open", "<HIGH>": "high", "<LOW>": "low", "<CLOSE>": "close",
           "<VOL>": "volume"}  # fmt: skip
NO_DATA_ANSWERS = ("no data",)  # what the endpoint says for a ticker it does not know
KEY_VARIABLE = "ROTATION_STOOQ_APIKEY"
# Stooq's daily bars are end-of-day: a session's bar is complete once it has closed and the
# vendor has had the same margin as Yahoo's to settle it.
SETTLE_MARGIN = dt.timedelta(hours=BAR_FINAL_AFTER.hour - 16, minutes=BAR_FINAL_AFTER.minute)


class StooqFormatError(PriceFormatError):
    """A Stooq answer is not a daily file we read; the message names the file and line."""


class StooqHtmlAnswer(StooqFormatError):
    """Stooq answered an HTML page where CSV was expected (no API key, or a wrong one)."""


@dataclass(frozen=True, eq=False)
class StooqFile:
    """What one Stooq file held.

    ``frame`` is in ``PRICE_COLUMNS`` with ``symbol`` the Stooq ticker without its market
    suffix (``BRK-B``), or the symbol asked for when a per-symbol file was read for one.
    ``files`` gives, per row, the file it came from (the ``<SOURCE_PATH>`` column; empty
    otherwise). ``damaged`` names the tickers whose lines could not be read, with the first
    bad line: those tickers' rows are left out, every other ticker's rows are kept.
    """

    frame: pd.DataFrame
    files: np.ndarray
    damaged: Mapping[str, str]


# --------------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------------


def _text(data: bytes | str, origin: str) -> str:
    try:
        return data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise StooqFormatError(f"{origin}: not UTF-8 text ({exc})") from exc


def _snippet(text: str, limit: int = 100) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text[:3000]).split())[:limit]


def parse_stooq_csv(data: bytes | str, *, origin: str, symbol: str | None = None) -> StooqFile:
    """Read a Stooq daily file, bulk or per-symbol, into the price row shape.

    ``symbol`` names the rows of a per-symbol endpoint file (which has no ticker column) and
    is required for it. The endpoint's ``No data`` answer is an empty frame. An HTML page is
    ``StooqHtmlAnswer``; an unknown header, a wrong number of fields or a bad cell in a
    per-symbol file is ``StooqFormatError`` naming the line. In a bulk file a bad line costs
    only its own ticker (``StooqFile.damaged``).
    """
    text = _text(data, origin)
    head = text.lstrip()[:200]
    if head.startswith("<") and not head.upper().startswith("<TICKER>"):
        raise StooqHtmlAnswer(
            f"{origin}: Stooq answered an HTML page, not CSV ({_snippet(text)!r}); "
            f"the API key is missing or wrong (set {KEY_VARIABLE})"
        )
    first = text.split("\n", 1)[0].strip()
    if not first:
        raise StooqFormatError(f"{origin}: empty answer, expected a header line")
    if first.lower() in NO_DATA_ANSWERS:
        return StooqFile(empty_price_frame(), np.array([], dtype=object), {})
    names = [n.strip() for n in first.split(",")]
    if tuple(n.upper() for n in names[: len(BULK_HEADER)]) == BULK_HEADER:
        return _parse_bulk(text, names, origin)
    if tuple(n.lower() for n in names) == ENDPOINT_HEADER:
        if not symbol:
            raise ValueError(f"{origin}: a per-symbol Stooq file needs the symbol it was read for")
        return _parse_endpoint(text, symbol, origin)
    raise StooqFormatError(
        f"{origin}: unknown Stooq header {first[:120]!r}; expected "
        f"{','.join(BULK_HEADER)}[,{SOURCE_PATH}] or Date,Open,High,Low,Close,Volume"
    )


def _assemble(
    symbols: np.ndarray, dates: np.ndarray, values: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    n = len(dates)
    close = np.asarray(values["close"], dtype="float64")
    frame = pd.DataFrame(
        {
            "symbol": pd.Series(symbols, dtype="str"),
            "date": pd.Series(np.asarray(dates, dtype="datetime64[ns]")),
            "open": np.asarray(values["open"], dtype="float64"),
            "high": np.asarray(values["high"], dtype="float64"),
            "low": np.asarray(values["low"], dtype="float64"),
            "close": close,
            "adj_close": close.copy(),  # back-adjusted at download: no separate raw close
            "volume": np.asarray(values["volume"], dtype="float64"),  # fractional: adjusted
            "dividends": np.zeros(n),
            "splits": np.zeros(n),
            "adjustment": pd.Series([ADJ_AUTO] * n, dtype="str"),
        }
    )
    return frame[PRICE_COLUMNS]


def _read(text: str, origin: str, width: int) -> pd.DataFrame:
    """Every field as text; a line with too many fields is an error naming it."""
    try:
        return pd.read_csv(
            io.StringIO(text),
            header=None,
            skiprows=1,
            names=list(range(width)),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.ParserError as exc:  # "Expected 11 fields in line 7, saw 12"
        raise StooqFormatError(f"{origin}: {exc}".strip()) from None


def _bad_lines(
    table: pd.DataFrame, columns: Mapping[int, str], date_col: int, date_format: str
) -> tuple[pd.Series, dict[str, np.ndarray], np.ndarray]:
    """Dates and numbers of every row, and per row the first problem (empty string: none)."""
    problem = np.full(len(table), "", dtype=object)
    raw_dates = table[date_col].str.strip()
    dates = pd.to_datetime(raw_dates, format=date_format, errors="coerce")
    bad = dates.isna().to_numpy()
    problem[bad] = [f"cannot parse date {d!r}" for d in raw_dates[bad]]
    values: dict[str, np.ndarray] = {}
    for col, name in columns.items():
        cells = table[col].str.strip()
        numbers = pd.to_numeric(cells, errors="coerce")
        bad = numbers.isna().to_numpy() & (problem == "")
        problem[bad] = [f"{name} {c!r} is not a number" for c in cells[bad]]
        values[name] = numbers.to_numpy(dtype="float64", na_value=np.nan)
    return dates, values, problem


def _parse_bulk(text: str, names: list[str], origin: str) -> StooqFile:
    width = len(names)
    extra = [n for n in names[len(BULK_HEADER) :] if n.upper() != SOURCE_PATH]
    if extra:
        raise StooqFormatError(f"{origin} line 1: unknown column(s) {extra} after the bulk header")
    position = {n.upper(): i for i, n in enumerate(names)}
    fast = _fast_bulk(text, position, width)
    if fast is not None:
        return fast
    table = _read(text, origin, width)
    codes, tickers = pd.factorize(table[position["<TICKER>"]].fillna(""))
    symbols = np.array([_symbol_of(t) for t in tickers], dtype=object)[codes]
    files = (
        table[position[SOURCE_PATH]].to_numpy(dtype=object)
        if SOURCE_PATH in position
        else np.full(len(table), "", dtype=object)
    )
    columns = {position[c]: name for c, name in _VALUES.items()}
    dates, values, problem = _bad_lines(table, columns, position["<DATE>"], "%Y%m%d")
    short = table[width - 1].isna().to_numpy() | (table[width - 1].to_numpy() == "")
    short &= problem == ""
    problem[short] = f"expected {width} fields"
    period = table[position["<PER>"]].str.strip().str.upper().to_numpy()
    not_daily = (period != "D") & (problem == "")
    problem[not_daily] = [f"period {p!r} is not daily (D)" for p in period[not_daily]]
    damaged: dict[str, str] = {}
    is_bad = problem != ""
    if is_bad.any():
        for i in np.flatnonzero(is_bad):
            ticker = str(symbols[i]) if isinstance(symbols[i], str) else ""
            damaged.setdefault(ticker, f"{origin} line {i + 2}: {problem[i]}")
        keep = ~np.isin(symbols, list(damaged))
    else:
        keep = np.ones(len(table), dtype=bool)
    frame = _assemble(
        symbols[keep],
        dates.to_numpy()[keep],
        {k: v[keep] for k, v in values.items()},
    )
    return StooqFile(frame, files[keep], damaged)


def _fast_bulk(text: str, position: Mapping[str, int], width: int) -> StooqFile | None:
    """The common case in one typed ``read_csv`` (seconds for 1.1 M rows instead of ~30);
    None when any cell is not what it should be, and the careful reader finds the line."""
    numbers = {position[c]: "float64" for c in _VALUES}
    dtypes: dict[int, str] = {i: "str" for i in range(width)} | numbers
    dtypes[position["<DATE>"]] = "int64"
    try:
        table = pd.read_csv(
            io.StringIO(text), header=None, skiprows=1, names=list(range(width)),
            dtype=dtypes, keep_default_na=False, na_values={c: [""] for c in numbers},
            engine="c",
        )  # fmt: skip
    except (ValueError, pd.errors.ParserError):
        return None
    if table[list(numbers)].isna().to_numpy().any() or (table[width - 1] == "").any():
        return None
    if not table[position["<PER>"]].eq("D").all():
        return None
    day = table[position["<DATE>"]].to_numpy()
    dates = pd.to_datetime(
        {"year": day // 10000, "month": day // 100 % 100, "day": day % 100}, errors="coerce"
    )
    if dates.isna().any():
        return None
    codes, tickers = pd.factorize(table[position["<TICKER>"]])  # ~3,000 tickers, 1 M rows
    symbols = np.array([_symbol_of(t) for t in tickers], dtype=object)[codes]
    files = (
        table[position[SOURCE_PATH]].to_numpy(dtype=object)
        if SOURCE_PATH in position
        else np.full(len(table), "", dtype=object)
    )
    values = {name: table[position[c]].to_numpy(dtype="float64") for c, name in _VALUES.items()}
    frame = _assemble(symbols, dates.to_numpy(), values)
    return StooqFile(frame, files, {})


def _symbol_of(ticker: str) -> str:
    """``brk-b.us`` / ``BRK-B.US`` → ``BRK-B``."""
    return ticker.strip().upper().removesuffix(".US")


def _parse_endpoint(text: str, symbol: str, origin: str) -> StooqFile:
    table = _read(text, origin, len(ENDPOINT_HEADER))
    columns = {1: "open", 2: "high", 3: "low", 4: "close", 5: "volume"}
    dates, values, problem = _bad_lines(table, columns, 0, "%Y-%m-%d")
    short = table[5].isna().to_numpy() & (problem == "")
    problem[short] = "expected 6 fields"
    if (problem != "").any():
        i = int(np.flatnonzero(problem != "")[0])
        raise StooqFormatError(f"{origin} line {i + 2}: {problem[i]}")
    frame = _assemble(np.full(len(table), symbol, dtype=object), dates.to_numpy(), values)
    return StooqFile(frame, np.full(len(table), "", dtype=object), {})


def stooq_ticker(symbol: str, ticker_map: Mapping[str, str] | None = None) -> str:
    """The endpoint's ticker of a holdings symbol: from the map's file name (``brk-b.us``),
    else Stooq's own spelling (lower case, class shares with ``-``, ``.us``)."""
    path = (ticker_map or {}).get(symbol)
    if path:
        return Path(path).name.removesuffix(".txt")
    return symbol.lower().replace(".", "-").replace("/", "-") + ".us"


def read_ticker_map(path: Path | str) -> dict[str, str]:
    """``{"found": {holdings ticker: Stooq file path}}`` as a dict (``missing`` is ignored)."""
    try:
        data = json.loads(Path(path).read_text())
        found = data["found"]
        if not isinstance(found, dict):
            raise TypeError("'found' is not an object")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PriceSourceError(f"Stooq ticker map {path} is not readable: {exc}") from None
    return {str(k): str(v) for k, v in found.items()}


def complete_after(day: dt.date) -> dt.datetime:
    """When the bar of session ``day`` is final: its close (early closes too) plus a margin."""
    return calendar.session_close(day) + SETTLE_MARGIN


def forming_rows(frame: pd.DataFrame, fetched_at: dt.datetime) -> np.ndarray:
    """Per row: the bar of a session that was not final yet when the bytes were fetched."""
    today = fetched_at.astimezone(calendar.NEW_YORK).date()
    dates = frame["date"].dt.date.to_numpy()
    out = dates > today
    if calendar.is_session(today) and fetched_at < complete_after(today):
        out |= dates == today
    return np.asarray(out, dtype=bool)


# --------------------------------------------------------------------------------------------
# The replay twin
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _BulkIndex:
    """A parsed bulk file sorted by (file, date), with each file's row range."""

    stooq: StooqFile
    by_file: Mapping[str, tuple[int, int]]
    by_ticker: Mapping[str, str]  # Stooq ticker (BRK-B) → its file
    latest: dt.date | None


@functools.lru_cache(maxsize=2)
def _bulk_index(path: str, mtime_ns: int) -> _BulkIndex:
    """Parse and index a bulk file once per process (keyed by its modification time)."""
    del mtime_ns  # part of the cache key only
    file = Path(path)
    try:
        raw = file.read_bytes()
        if file.suffix == ".gz":
            import gzip

            raw = gzip.decompress(raw)
    except (OSError, EOFError) as exc:
        raise PriceSourceError(f"cannot read Stooq bulk file {file}: {exc}") from None
    parsed = parse_stooq_csv(raw, origin=str(file))
    frame = parsed.frame
    files = parsed.files
    if not files.size or all(f == "" for f in files[:1]):
        files = np.array([f"{s}.US" for s in frame["symbol"]], dtype=object)  # one ticker each
    order = np.lexsort((frame["date"].to_numpy(), files))
    frame = frame.iloc[order].reset_index(drop=True)
    files = files[order]
    bounds: dict[str, tuple[int, int]] = {}
    if len(files):
        change = np.flatnonzero(files[1:] != files[:-1]) + 1
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change, [len(files)]])
        bounds = {str(files[s]): (int(s), int(e)) for s, e in zip(starts, ends, strict=True)}
    symbols = frame["symbol"].to_numpy()
    by_ticker = {str(symbols[s]): f for f, (s, _) in bounds.items()}
    latest = frame["date"].max().date() if len(frame) else None
    return _BulkIndex(dataclasses.replace(parsed, frame=frame, files=files), bounds, by_ticker,
                      latest)  # fmt: skip


class StooqReplaySource:
    """Daily bars from a recorded Stooq bulk file, for the symbols a run asks for.

    A symbol is found through the ticker map (holdings ticker → Stooq file), else by its
    Stooq ticker (``BRK.B`` → ``BRK-B``). A symbol with no rows in the range, or whose file had
    a bad line, is reported in ``missing_symbols`` with one note each (damaged ones also in
    ``damaged``), as the Yahoo replay does. ``fetched_at`` is ``recorded_at`` when given, else
    the moment the file's latest bar was final: a bulk download holds end-of-day bars only.
    """

    def __init__(
        self,
        bulk_path: Path | str,
        ticker_map_path: Path | str | None = None,
        *,
        recorded_at: dt.datetime | None = None,
    ) -> None:
        self.path = Path(bulk_path)
        if not self.path.is_file():
            raise PriceSourceError(f"Stooq bulk file {self.path} does not exist")
        self.ticker_map = read_ticker_map(ticker_map_path) if ticker_map_path else {}
        self.recorded_at = recorded_at
        self.name = f"replay:stooq:{self.path.name}"

    @classmethod
    def from_folder(cls, folder: Path | str) -> StooqReplaySource | None:
        """The twin for a replay folder's ``stooq/`` sub-folder (one ``*.csv.gz`` bulk file and
        an optional ``stooq-ticker-map.json``), or None when the folder has none."""
        sub = Path(folder) / "stooq"
        bulks = sorted(sub.glob("*.csv.gz")) + sorted(sub.glob("*.csv")) if sub.is_dir() else []
        if not bulks:
            return None
        if len(bulks) > 1:
            raise PriceSourceError(
                f"replay folder {sub} has {len(bulks)} Stooq files; expected one: "
                + ", ".join(p.name for p in bulks)
            )
        ticker_map = sub / "stooq-ticker-map.json"
        return cls(bulks[0], ticker_map if ticker_map.is_file() else None)

    def _index(self) -> _BulkIndex:
        return _bulk_index(str(self.path.resolve()), self.path.stat().st_mtime_ns)

    def fetch(self, symbols: Sequence[str], start: dt.date, end: dt.date) -> PriceBatch:
        wanted = tuple(dict.fromkeys(symbols))
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        index = self._index()
        frame = index.stooq.frame
        dates = frame["date"].to_numpy()
        lo_date, hi_date = np.datetime64(start, "ns"), np.datetime64(end, "ns")
        takes: list[np.ndarray] = []
        labels: list[str] = []
        missing: list[str] = []
        notes: list[str] = []
        damaged: list[tuple[str, str]] = []
        for symbol in wanted:
            ticker = stooq_ticker(symbol).removesuffix(".us").upper()
            file = self.ticker_map.get(symbol) or index.by_ticker.get(ticker)
            if ticker in index.stooq.damaged:
                reason = index.stooq.damaged[ticker]
                missing.append(symbol)
                notes.append(f"{symbol}: {reason}")
                damaged.append((symbol, reason))
                continue
            if file is None or file not in index.by_file:
                missing.append(symbol)
                notes.append(f"{symbol}: not in {self.path.name}")
                continue
            first, last = index.by_file[file]
            a = first + int(np.searchsorted(dates[first:last], lo_date, side="left"))
            b = first + int(np.searchsorted(dates[first:last], hi_date, side="right"))
            if a >= b:
                missing.append(symbol)
                notes.append(f"{symbol}: {self.path.name} has no rows from {start} to {end}")
                continue
            takes.append(np.arange(a, b))
            labels += [symbol] * (b - a)
        if takes:
            picked = frame.iloc[np.concatenate(takes)].reset_index(drop=True)
            picked["symbol"] = pd.Series(labels, dtype="str")
            out = concat_price_frames([picked])
        else:
            out = empty_price_frame()
        fetched_at = self.recorded_at
        if fetched_at is None and index.latest is not None:
            fetched_at = complete_after(calendar.previous_sessions(index.latest, 1)[-1])
        return PriceBatch(
            out,
            wanted,
            tuple(missing),
            self.name,
            tuple(notes),
            tuple(damaged),
            fetched_at=fetched_at,
        )


# --------------------------------------------------------------------------------------------
# The live client
# --------------------------------------------------------------------------------------------


class StooqPriceSource:
    """Live daily bars from Stooq's per-symbol CSV endpoint, one request per symbol.

    Without an API key the client asks nothing: every symbol is missing and the first fetch
    of the instance (one per run) says why in one note. An HTML answer means the key is
    missing or wrong for every symbol alike, so the fetch stops there with one
    ``PriceSourceError``. Any other failure (HTTP error, time-out, an unreadable file) costs
    only its symbol. The key never appears in a message.
    """

    name = NAME

    def __init__(
        self,
        apikey: str,
        *,
        base_url: str = "https://stooq.com",
        timeout_s: float = 30.0,
        max_requests_per_s: float = 2.0,
        ticker_map: Mapping[str, str] | None = None,
        http: HttpClient | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.apikey = apikey
        self.base_url = base_url.rstrip("/")
        self.ticker_map = dict(ticker_map or {})
        self.http = http or HttpClient(
            user_agent="rotation-monitor/0.1",
            connect_timeout_s=min(10.0, timeout_s),
            read_timeout_s=timeout_s,
            max_requests_per_s=max_requests_per_s,
        )
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._said_off = False

    @property
    def is_configured(self) -> bool:
        return bool(self.apikey)

    def _redact(self, text: str) -> str:
        return text.replace(self.apikey, "***") if self.apikey else text

    def fetch(self, symbols: Sequence[str], start: dt.date, end: dt.date) -> PriceBatch:
        wanted = tuple(dict.fromkeys(symbols))
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        if not self.apikey:
            notes: tuple[str, ...] = ()
            if not self._said_off:
                self._said_off = True
                notes = (
                    f"Stooq is off: {KEY_VARIABLE} is not set (Stooq asks for a free API key "
                    "since March 2026); symbols Yahoo did not deliver stay missing",
                )
                log.warning("%s", notes[0])
            return PriceBatch(empty_price_frame(), wanted, wanted, self.name, notes)
        frames: list[pd.DataFrame] = []
        missing: list[str] = []
        notes_out: list[str] = []
        damaged: list[tuple[str, str]] = []
        fetched_at = self._clock()
        for symbol in wanted:
            ticker = stooq_ticker(symbol, self.ticker_map)
            params = {"s": ticker, "i": "d", "d1": f"{start:%Y%m%d}", "d2": f"{end:%Y%m%d}",
                      "apikey": self.apikey}  # fmt: skip
            origin = f"Stooq {ticker}"
            try:
                response = self.http.get(f"{self.base_url}/q/d/l/", params=params)
                parsed = parse_stooq_csv(response.content, origin=origin, symbol=symbol)
            except StooqHtmlAnswer as exc:
                raise PriceSourceError(self._redact(str(exc))) from None
            except StooqFormatError as exc:
                missing.append(symbol)
                notes_out.append(f"{symbol}: {self._redact(str(exc))}")
                damaged.append((symbol, self._redact(str(exc))))
                continue
            except HttpError as exc:
                missing.append(symbol)
                notes_out.append(f"{symbol}: {self._redact(str(exc))}")
                continue
            rows = parsed.frame
            rows = rows.loc[rows["date"].between(pd.Timestamp(start), pd.Timestamp(end))]
            rows = rows.loc[~forming_rows(rows, fetched_at)]
            if rows.empty:
                missing.append(symbol)
                notes_out.append(f"{symbol}: Stooq has no complete bars from {start} to {end}")
                continue
            frames.append(rows)
        return PriceBatch(
            concat_price_frames(frames),
            wanted,
            tuple(missing),
            self.name,
            tuple(notes_out),
            tuple(damaged),
            fetched_at=fetched_at,
        )
