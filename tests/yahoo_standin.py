"""A Yahoo Finance stand-in on 127.0.0.1 serving recorded ``v8/finance/chart`` bodies.

The real ``yf.download`` talks to it through a requests session whose transport sends every
request to the loopback server instead of Yahoo's hosts (yfinance builds its URLs itself), so
the whole client path runs: HTTP, yfinance's threads and parsing, our frame conversion. Used
by the member-price tests and ``benchmarks/member_prices.py``. Cookie and crumb requests get
an empty page and a crumb; a symbol without a body gets HTTP 404, as an unknown one does;
``stall`` symbols are answered only after ``stall_s`` seconds (a network that hangs). A request
with ``period1``/``period2`` gets the recorded bars in that period only, as Yahoo answers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import HTTPAdapter


def recorded_body(path: Path) -> bytes:
    """The chart body of one recording in ``../shared/data/yahoo-chart-json``."""
    recorded = json.loads(path.read_text())
    return json.dumps(recorded["response"]["bodyJson"]).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        body, status = b"", 200
        if path.startswith("/v8/finance/chart/"):
            symbol = path.rsplit("/", 1)[1]
            if symbol in self.server.stall:
                time.sleep(self.server.stall_s)
            found = self.server.bodies.get(symbol, self.server.default)
            body, status = (found, 200) if found is not None else (b"", 404)
            query = parse_qs(parts.query)
            if found is not None and "period1" in query and "period2" in query:
                body = _in_period(found, int(query["period1"][0]), int(query["period2"][0]))
        elif path.endswith("/getcrumb"):
            body = b"standin-crumb"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _in_period(body: bytes, start: int, end: int) -> bytes:
    """The recorded chart cut to ``[start, end)`` (epoch seconds), as Yahoo answers a period."""
    chart = json.loads(body)
    result = chart["chart"]["result"][0]
    keep = [i for i, t in enumerate(result.get("timestamp", [])) if start <= t < end]
    result["timestamp"] = [result["timestamp"][i] for i in keep]
    for series in ("quote", "adjclose"):
        for block in result["indicators"].get(series, []):
            for name, values in block.items():
                block[name] = [values[i] for i in keep]
    for kind, events in result.get("events", {}).items():
        result["events"][kind] = {k: v for k, v in events.items() if start <= int(k) < end}
    return json.dumps(chart).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    bodies: dict[str, bytes]
    default: bytes | None
    stall: frozenset[str]
    stall_s: float


class _ToLoopback(HTTPAdapter):
    """Sends every request to the stand-in, keeping its path and query."""

    def __init__(self, port: int) -> None:
        super().__init__(pool_maxsize=32)
        self.port = port

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(str(request.url))
        request.url = f"http://127.0.0.1:{self.port}{parts.path}" + (
            f"?{parts.query}" if parts.query else ""
        )
        return super().send(request, **kwargs)


@contextmanager
def yahoo_standin(
    bodies: dict[str, bytes],
    *,
    default: bytes | None = None,
    stall: frozenset[str] = frozenset(),
    stall_s: float = 0.0,
) -> Iterator[requests.Session]:
    """Start the stand-in; yield a session for ``yf.download(..., session=...)``.

    ``default`` answers every symbol without its own body (the benchmark prices thousands of
    tickers from one recording).
    """
    server = _Server(("127.0.0.1", 0), _Handler)
    server.bodies, server.default = bodies, default
    server.stall, server.stall_s = stall, stall_s
    thread = threading.Thread(target=server.serve_forever, name="yahoo-standin", daemon=True)
    thread.start()
    session = requests.Session()
    adapter = _ToLoopback(server.server_address[1])
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    try:
        yield session
    finally:
        session.close()
        server.shutdown()
        server.server_close()


def reset_yfinance() -> None:
    """yfinance keeps a process-wide session, crumb and response cache: forget them."""
    from yfinance.data import YfData

    data = YfData()
    data._crumb = None
    data._cookie = None
    YfData.cache_get.cache_clear()
