"""Yahoo Finance daily prices: yfinance normalisation and the live client.

The price contract (``PriceBatch``, ``PriceSource``, the normalised frame, the fetch plan) is
``sources.prices``; the CSV layouts are ``sources.price_csv``.

* **Normalisation** (pure): ``frame_from_yfinance`` reads a ``yf.download`` frame into the
  normalised frame, with the column names ``parse_price_csv`` knows.
* **Client.** ``YahooPriceSource`` wraps one batched ``yf.download``. yfinance never raises for
  a failed ticker (it logs and returns what it got), stalls ~100 s on a black-holed network
  whatever its ``timeout=`` says, and defaults ``auto_adjust`` to a value that changed between
  versions; the client therefore passes every option explicitly, works out itself which symbols
  came back, bounds the wall time from outside, and retries only on rate limiting.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import socket
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sources.price_csv import (
    _COLUMN_NAMES,
    NEW_YORK,
    _key,
)
from sources.prices import (
    ADJ_AUTO,
    ADJ_RAW,
    VALUE_COLUMNS,
    PriceBatch,
    PriceFormatError,
    PriceSourceError,
    _assemble,
    concat_price_frames,
    empty_price_frame,
)
from sources.retry import DeadlineExceeded, backoff_delays, run_with_deadline

YAHOO_HOST = ("query2.finance.yahoo.com", 443)  # the host yfinance's chart API calls go to
BAR_FINAL_AFTER = dt.time(16, 15)  # the close is 16:00 ET; Yahoo's daily bar settles shortly after


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
