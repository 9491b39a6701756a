"""The live Yahoo client without the internet.

Two kinds of test:

* the whole client with ``download`` replaced by a small fake that behaves like yfinance 1.7
  (returns a ``(Price, Ticker)`` frame, logs failures instead of raising): missing symbols,
  retry on rate limiting, the wall-time bound, the forming bar, the reachability probe;
* the real ``yf.download`` end to end, on a ``requests.Session`` whose mounted adapter answers
  ``/v8/finance/chart/<SYMBOL>`` with real recorded Yahoo chart JSON from
  ``../shared/data/yahoo-chart-json`` (yfinance 1.7 accepts a requests session).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
import requests
from requests.adapters import BaseAdapter

from rotation.records import PRICE_COLUMNS
from sources.prices import PriceSourceError
from sources.yahoo import YAHOO_HOST, YahooPriceSource, drop_forming_bar, probe_reachable

NY = dt.timezone(dt.timedelta(hours=-5))  # EST, for clocks in November
AFTER_CLOSE = dt.datetime(2026, 11, 25, 17, 0, tzinfo=NY)


def _yf_frame(per_ticker: dict[str, pd.DataFrame], tickers: list[str]) -> pd.DataFrame:
    """What yf.download(group_by='column') returns: failed tickers reindexed to all-NaN."""
    index = None
    for df in per_ticker.values():
        index = df.index if index is None else index.union(df.index)
    if index is None:
        index = pd.DatetimeIndex([])
    frames = {t.upper(): per_ticker.get(t, pd.DataFrame()).reindex(index) for t in tickers}
    data = pd.concat(
        frames.values(), axis=1, sort=True, keys=frames.keys(), names=["Ticker", "Price"]
    )
    data.columns = data.columns.swaplevel(0, 1)
    return data.sort_index(level=0, axis=1)


def _bars(dates: list[str], close: float) -> pd.DataFrame:
    closes = [close + i for i in range(len(dates))]
    return pd.DataFrame(
        {
            "Open": closes, "High": closes, "Low": closes, "Close": closes,
            "Adj Close": [c - 1 for c in closes], "Volume": [1000] * len(dates),
            "Dividends": 0.0, "Stock Splits": 0.0,
        },
        index=pd.DatetimeIndex(pd.to_datetime(dates), name="Date").astype("datetime64[s]"),
    )  # fmt: skip


class FakeDownload:
    """Stands in for yf.download: answers from a script of outcomes, one per call."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[dict[str, Any]] = []

    def __call__(self, tickers: list[str], **kwargs: Any) -> pd.DataFrame:
        self.calls.append({"tickers": list(tickers), **kwargs})
        outcome = self.outcomes.pop(0)
        return outcome(tickers) if callable(outcome) else outcome


def _rate_limited(tickers: list[str]) -> pd.DataFrame:
    """yfinance 1.7 on HTTP 429: logs the failure per ticker and returns an empty (0, N) frame."""
    log = logging.getLogger("yfinance")
    log.error("\n%d Failed downloads:", len(tickers))
    error = "YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')"
    log.error(f"{[t.upper() for t in tickers]}: {error}")
    return _yf_frame({}, tickers)


def _source(download: Any, tmp_path: Path, **kwargs: Any) -> YahooPriceSource:
    sleeps: list[float] = []
    kwargs.setdefault("clock", lambda: AFTER_CLOSE)
    source = YahooPriceSource(
        download=download, probe_address=None, cache_dir=tmp_path / "yf-cache",
        sleep=sleeps.append, **kwargs,
    )  # fmt: skip
    source.sleeps = sleeps  # type: ignore[attr-defined]
    return source


START, END = dt.date(2026, 11, 23), dt.date(2026, 11, 25)


def test_one_batched_download_with_explicit_options(tmp_path: Path) -> None:
    def answer(tickers: list[str]) -> pd.DataFrame:
        logging.getLogger("yfinance").error(
            "['IWC']: YFPricesMissingError('$IWC: possibly delisted; no price data found')"
        )
        return _yf_frame(
            {"SPY": _bars(["2026-11-23", "2026-11-24", "2026-11-25"], 600.0),
             "^VIX": _bars(["2026-11-24"], 20.0)},
            tickers,
        )  # fmt: skip

    fake = FakeDownload(answer)
    batch = _source(fake, tmp_path).fetch(["SPY", "^VIX", "IWC"], START, END)

    (call,) = fake.calls
    assert call["tickers"] == ["SPY", "^VIX", "IWC"]
    assert call["start"] == "2026-11-23" and call["end"] == "2026-11-26"  # end is exclusive
    assert call["auto_adjust"] is False and call["actions"] is True
    assert call["group_by"] == "column" and call["progress"] is False
    assert batch.source == "yahoo" and batch.requested == ("SPY", "^VIX", "IWC")
    assert batch.missing_symbols == ("IWC",)
    assert any("IWC" in n and "possibly delisted" in n for n in batch.notes)
    assert list(batch.frame.columns) == PRICE_COLUMNS
    assert batch.frame.groupby("symbol").size().to_dict() == {"SPY": 3, "^VIX": 1}
    assert set(batch.frame["adjustment"]) == {"raw"}
    vix = batch.frame.loc[batch.frame["symbol"] == "^VIX"].iloc[0]
    assert (vix["close"], vix["adj_close"]) == (20.0, 19.0)


def test_all_empty_answer_without_rate_limit_is_not_retried(tmp_path: Path) -> None:
    fake = FakeDownload(lambda t: _yf_frame({}, t))
    source = _source(fake, tmp_path)
    batch = source.fetch(["SPY", "IWM"], START, END)
    assert len(fake.calls) == 1 and source.sleeps == []  # type: ignore[attr-defined]
    assert batch.missing_symbols == ("SPY", "IWM") and batch.frame.empty


def test_rate_limited_then_answered_is_retried_with_backoff(tmp_path: Path) -> None:
    fake = FakeDownload(
        _rate_limited,
        _rate_limited,
        lambda t: _yf_frame({"SPY": _bars(["2026-11-24"], 600.0)}, t),
    )
    source = _source(fake, tmp_path, backoff_s=2.0)
    batch = source.fetch(["SPY"], START, END)
    assert len(fake.calls) == 3
    assert source.sleeps == [2.0, 4.0]  # type: ignore[attr-defined]
    assert batch.missing_symbols == () and len(batch.frame) == 1
    assert sum("rate-limited" in n for n in batch.notes) == 2


def test_only_the_rate_limited_symbols_are_asked_again(tmp_path: Path) -> None:
    def partly(tickers: list[str]) -> pd.DataFrame:
        logging.getLogger("yfinance").error("['IWM']: YFRateLimitError('Too Many Requests.')")
        return _yf_frame({"SPY": _bars(["2026-11-24"], 600.0)}, tickers)

    fake = FakeDownload(partly, lambda t: _yf_frame({"IWM": _bars(["2026-11-24"], 240.0)}, t))
    batch = _source(fake, tmp_path).fetch(["SPY", "IWM"], START, END)
    assert [c["tickers"] for c in fake.calls] == [["SPY", "IWM"], ["IWM"]]
    assert batch.missing_symbols == () and sorted(batch.frame["symbol"]) == ["IWM", "SPY"]


def test_rate_limited_on_every_attempt_fails_clearly(tmp_path: Path) -> None:
    fake = FakeDownload(_rate_limited, _rate_limited, _rate_limited)
    source = _source(fake, tmp_path, max_attempts=3)
    with pytest.raises(PriceSourceError, match=r"rate-limited all 3 attempts for SPY, IWM"):
        source.fetch(["SPY", "IWM"], START, END)
    assert len(fake.calls) == 3 and source.sleeps == [2.0, 4.0]  # type: ignore[attr-defined]


def test_raised_rate_limit_error_is_retried(tmp_path: Path) -> None:
    from yfinance.exceptions import YFRateLimitError

    def raise_rate_limit(tickers: list[str]) -> pd.DataFrame:
        raise YFRateLimitError()

    fake = FakeDownload(
        raise_rate_limit, lambda t: _yf_frame({"SPY": _bars(["2026-11-24"], 1.0)}, t)
    )
    batch = _source(fake, tmp_path).fetch(["SPY"], START, END)
    assert len(fake.calls) == 2 and len(batch.frame) == 1


def test_other_failures_are_not_retried(tmp_path: Path) -> None:
    def boom(tickers: list[str]) -> pd.DataFrame:
        raise ValueError("unexpected answer")

    fake = FakeDownload(boom, boom)
    with pytest.raises(PriceSourceError, match=r"yfinance download of SPY failed: .*unexpected"):
        _source(fake, tmp_path).fetch(["SPY"], START, END)
    assert len(fake.calls) == 1


def test_wall_time_is_bounded(tmp_path: Path) -> None:
    release = threading.Event()

    def stall(tickers: list[str]) -> pd.DataFrame:
        release.wait(30)  # a black-holed network: yfinance would sit here ~100 s
        return _yf_frame({}, tickers)

    source = _source(FakeDownload(stall), tmp_path, timeout_s=0.5)
    began = time.monotonic()
    try:
        with pytest.raises(PriceSourceError, match=r"did not answer within 0.5 s"):
            source.fetch(["SPY"], START, END)
        assert time.monotonic() - began < 3.0
    finally:
        release.set()


def test_forming_bar_is_dropped_before_the_close(tmp_path: Path) -> None:
    def answer(tickers: list[str]) -> pd.DataFrame:
        return _yf_frame({"SPY": _bars(["2026-11-24", "2026-11-25"], 600.0)}, tickers)

    at_three = dt.datetime(2026, 11, 25, 15, 0, tzinfo=NY)
    batch = _source(FakeDownload(answer), tmp_path, clock=lambda: at_three).fetch(
        ["SPY"], START, END
    )
    assert list(batch.frame["date"]) == [pd.Timestamp("2026-11-24")]
    assert any(n.startswith("dropped forming bar for 2026-11-25 (SPY)") for n in batch.notes)

    batch = _source(FakeDownload(answer), tmp_path).fetch(["SPY"], START, END)  # 17:00 ET
    assert len(batch.frame) == 2 and not any("forming" in n for n in batch.notes)


def test_forming_bar_rule_uses_new_york_time() -> None:
    frame = pd.DataFrame({"symbol": ["SPY"], "date": [pd.Timestamp("2026-11-25")]})
    # 21:00 UTC = 16:00 EST: not final yet; 21:20 UTC = 16:20 EST: final.
    kept, note = drop_forming_bar(frame, dt.datetime(2026, 11, 25, 21, 0, tzinfo=dt.UTC))
    assert kept.empty and note is not None
    kept, note = drop_forming_bar(frame, dt.datetime(2026, 11, 25, 21, 20, tzinfo=dt.UTC))
    assert len(kept) == 1 and note is None


def test_yfinance_cache_goes_to_the_given_folder(tmp_path: Path) -> None:
    import yfinance.cache

    _source(FakeDownload(lambda t: _yf_frame({}, t)), tmp_path).fetch(["SPY"], START, END)
    assert yfinance.cache._TzDBManager.get_location() == str(tmp_path / "yf-cache")


# ---- reachability probe ----------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_network_fails_within_seconds_with_one_clear_message(tmp_path: Path) -> None:
    port = _closed_port()
    fake = FakeDownload()
    source = YahooPriceSource(
        download=fake, probe_address=("127.0.0.1", port), probe_timeout_s=3.0,
        cache_dir=tmp_path,
    )  # fmt: skip
    began = time.monotonic()
    with pytest.raises(PriceSourceError) as err:
        source.fetch(["SPY"], START, END)
    assert time.monotonic() - began < 3.0
    message = str(err.value)
    assert message.startswith(f"cannot reach Yahoo Finance (127.0.0.1:{port}): ")
    assert message.endswith("check the network or use --replay DIR")
    assert fake.calls == []


def test_dns_failure_counts_as_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(PriceSourceError) as err:
        probe_reachable("query2.finance.yahoo.com", 443, 3.0)
    assert str(err.value) == (
        "cannot reach Yahoo Finance (query2.finance.yahoo.com:443): DNS lookup failed "
        "(Name or service not known); check the network or use --replay DIR"
    )


def test_probe_goes_to_the_configured_https_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    port = _closed_port()
    for name in ("NO_PROXY", "no_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    with pytest.raises(PriceSourceError, match=rf"\(the HTTPS proxy 127.0.0.1:{port} for query2"):
        probe_reachable(*YAHOO_HOST, 3.0)


def test_probe_passes_when_the_host_listens(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        fake = FakeDownload(lambda t: _yf_frame({"SPY": _bars(["2026-11-24"], 1.0)}, t))
        source = YahooPriceSource(
            download=fake, probe_address=listener.getsockname(), cache_dir=tmp_path,
            clock=lambda: AFTER_CLOSE,
        )  # fmt: skip
        assert len(source.fetch(["SPY"], START, END).frame) == 1


# ---- the real yf.download against recorded Yahoo chart JSON ----------------------------------


class RecordedYahoo(BaseAdapter):
    """A transport answering yfinance's requests from recorded ``v8/finance/chart`` bodies.

    Cookie and crumb requests get an empty page and a crumb; a symbol without a recording
    gets a bare HTTP 404, as an unknown symbol does.
    """

    def __init__(self, bodies: dict[str, bytes]) -> None:
        super().__init__()
        self.bodies = bodies
        self.urls: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.urls.append(str(request.url))
        path = urlsplit(str(request.url)).path
        response = requests.Response()
        response.url, response.request = str(request.url), request
        response.status_code, response._content = 200, b""
        if path.startswith("/v8/finance/chart/"):
            body = self.bodies.get(path.rsplit("/", 1)[1])
            if body is None:
                response.status_code = 404
            else:
                response._content = body
                response.headers["Content-Type"] = "application/json"
        elif path.endswith("/getcrumb"):
            response._content = b"recorded-crumb"
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def clean_yfinance() -> Iterator[None]:
    """yfinance keeps a process-wide session, crumb and response cache: reset them after."""
    from yfinance.data import YfData

    yield
    data = YfData()
    data._crumb = None
    data._cookie = None
    YfData.cache_get.cache_clear()


def test_real_yf_download_on_recorded_chart_json(
    tmp_path: Path, shared_data: Path, clean_yfinance: None
) -> None:
    import yfinance as yf

    charts = shared_data / "yahoo-chart-json"
    recordings = {
        "AAPL": "chart-AAPL-2020-08-31-to-2020-11-07.json",  # 4:1 split on 08-31, dividend 11-06
        "QQQ": "chart-QQQ-2020-01-01-to-2020-01-03.json",
    }
    bodies, results = {}, {}
    for symbol, name in recordings.items():
        recorded = json.loads((charts / name).read_text())
        assert recorded["response"]["status"] == 200
        bodies[symbol] = json.dumps(recorded["response"]["bodyJson"]).encode()
        results[symbol] = recorded["response"]["bodyJson"]["chart"]["result"][0]
    adapter = RecordedYahoo(bodies)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)

    source = YahooPriceSource(
        timeout_s=60, download=functools.partial(yf.download, session=session),
        probe_address=None, cache_dir=tmp_path / "yf-cache", threads=2,
        clock=lambda: AFTER_CLOSE,
    )  # fmt: skip
    batch = source.fetch(["AAPL", "QQQ", "NOSUCH"], dt.date(2020, 1, 1), dt.date(2020, 11, 6))

    assert any("/v8/finance/chart/AAPL" in u and "period1=" in u for u in adapter.urls)
    assert batch.missing_symbols == ("NOSUCH",)
    frame = batch.frame
    assert set(frame["adjustment"]) == {"raw"}
    counts = frame.groupby("symbol").size().to_dict()
    assert counts == {"AAPL": len(results["AAPL"]["timestamp"]), "QQQ": 1}  # no union padding

    aapl = frame.loc[frame["symbol"] == "AAPL"].reset_index(drop=True)
    quote = results["AAPL"]["indicators"]["quote"][0]
    adjclose = results["AAPL"]["indicators"]["adjclose"][0]["adjclose"]
    assert aapl["date"].iloc[0] == pd.Timestamp("2020-08-31")
    assert aapl["date"].iloc[-1] == pd.Timestamp("2020-11-06")
    np.testing.assert_allclose(aapl["close"], quote["close"], rtol=1e-12)
    np.testing.assert_allclose(aapl["open"], quote["open"], rtol=1e-12)
    np.testing.assert_allclose(aapl["volume"], quote["volume"], rtol=0)
    np.testing.assert_allclose(aapl["adj_close"], adjclose, rtol=1e-6)
    split_day = aapl.loc[aapl["splits"] != 0]
    assert list(split_day["date"]) == [pd.Timestamp("2020-08-31")]
    assert split_day["splits"].iloc[0] == 4.0
    dividend_day = aapl.loc[aapl["dividends"] != 0]
    assert list(dividend_day["date"]) == [pd.Timestamp("2020-11-06")]
    assert dividend_day["dividends"].iloc[0] == 0.205

    qqq = frame.loc[frame["symbol"] == "QQQ"].iloc[0]
    assert qqq["date"] == pd.Timestamp("2020-01-02")
    assert qqq["close"] == results["QQQ"]["indicators"]["quote"][0]["close"][0]


class RateLimitedFirst(RecordedYahoo):
    """Answers the first ``limit`` chart requests with HTTP 429, as Yahoo does when throttling."""

    def __init__(self, bodies: dict[str, bytes], limit: int) -> None:
        super().__init__(bodies)
        self.limit = limit
        self.throttled = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = super().send(request, **kwargs)
        if "/v8/finance/chart/" in str(request.url) and self.throttled < self.limit:
            self.throttled += 1
            response.status_code, response._content = 429, b"Too Many Requests"
        return response


def test_real_yf_download_throttled_by_http_429_is_retried(
    tmp_path: Path, shared_data: Path, clean_yfinance: None
) -> None:
    import yfinance as yf

    path = shared_data / "yahoo-chart-json" / "chart-QQQ-2020-01-01-to-2020-01-03.json"
    recorded = json.loads(path.read_text())
    # yfinance itself re-sends once on any HTTP error (switching cookie strategy), so two 429s
    # make exactly one of our attempts fail as rate-limited.
    adapter = RateLimitedFirst({"QQQ": json.dumps(recorded["response"]["bodyJson"]).encode()}, 2)
    session = requests.Session()
    session.mount("https://", adapter)
    sleeps: list[float] = []
    source = YahooPriceSource(
        download=functools.partial(yf.download, session=session), probe_address=None,
        cache_dir=tmp_path / "yf-cache", clock=lambda: AFTER_CLOSE, sleep=sleeps.append,
    )  # fmt: skip
    batch = source.fetch(["QQQ"], dt.date(2020, 1, 1), dt.date(2020, 1, 3))
    assert adapter.throttled == 2 and sleeps == [2.0]
    assert batch.missing_symbols == () and len(batch.frame) == 1
    assert batch.notes == ("Yahoo rate-limited attempt 1 of 3 for QQQ; retried after 2 s",)
