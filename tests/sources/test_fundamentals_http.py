"""Holdings and XBRL live clients against a real HTTP server on 127.0.0.1 with recorded bytes.

The server records each request's arrival time, path and User-Agent, so the rate and the
declared User-Agent are measured where iShares or the SEC would see them. Each failure mode
is one scripted behaviour: a 403 throttle page, a 404, a body shorter than its length.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sources import holdings, xbrl
from sources.http import HttpClient

UA = "Rotation Monitor Tests ops@rotation.example"
THROTTLE_PAGE = b"<html><title>SEC.gov | Request Rate Threshold Exceeded</title></html>"
SNOW = 1640147


@dataclass
class Server:
    url: str
    files: dict[str, bytes]
    script: dict[str, str] = field(default_factory=dict)  # path -> 403 | truncate
    requests: list[tuple[float, str, str]] = field(default_factory=list)


class Handler(BaseHTTPRequestHandler):
    server_state: Server

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        state = self.server_state
        path = self.path.split("?")[0]
        state.requests.append((time.monotonic(), path, self.headers.get("User-Agent", "")))
        behaviour = state.script.get(path, "serve")
        if behaviour == "403":
            return self._send(403, THROTTLE_PAGE)
        body = state.files.get(path)
        if body is None:
            return self._send(404, b"<html>Not Found</html>")
        if behaviour == "truncate":
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:1000])
            self.wfile.flush()
            self.close_connection = True
            return None
        return self._send(200, body)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server(shared_data: Path) -> Iterator[Server]:
    files = {
        "/funds/IWM.csv": (shared_data / "holdings" / "IWM.2026-05-05.csv").read_bytes(),
        "/funds/IVV.csv": (shared_data / "holdings" / "IVV.2026-06-19.csv").read_bytes(),
        "/files/company_tickers.json": (
            shared_data / "edgar" / "company_tickers.json"
        ).read_bytes(),
        f"/api/xbrl/companyfacts/CIK{SNOW:010d}.json": (
            shared_data / "fundamentals" / f"companyfacts.CIK{SNOW:010d}.json"
        ).read_bytes(),
    }
    state = Server("", files)
    handler = type("Bound", (Handler,), {"server_state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def http(**options: object) -> HttpClient:
    settings: dict = {"user_agent": UA, "read_timeout_s": 5.0, "backoff_s": 0.05}
    settings.update(options)
    return HttpClient(**settings)


def test_holdings_download_rate_and_failures(server: Server) -> None:
    urls = {f: f"{server.url}/funds/{f}.csv" for f in ("IWM", "IVV", "IWB")}
    client = holdings.HoldingsLiveClient(urls, http=http(max_requests_per_s=4.0))
    server.script["/funds/IVV.csv"] = "truncate"
    batch = holdings.fetch(client, ["IWM", "IVV", "IWB"], dt.date(2026, 11, 29))
    assert [(s.fund, s.as_of, s.as_of_from) for s in batch.snapshots] == [
        ("IWM", dt.date(2026, 5, 5), "preamble")
    ]
    assert len(batch.snapshots[0].rows) == 1929  # the same rows as the replayed file
    assert "connection closed before the body was complete" in batch.funds_failed["IVV"]
    assert "HTTP 404" in batch.funds_failed["IWB"]
    times = [t for t, _, _ in server.requests]
    assert all(ua == UA for _, _, ua in server.requests)
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.25 * 0.95


def test_xbrl_user_agent_rate_404_and_truncation(server: Server) -> None:
    client = xbrl.XbrlLiveClient(
        user_agent=UA,
        base_url=server.url,
        tickers_url=f"{server.url}/files/company_tickers.json",
        http=http(max_requests_per_s=8.0, throttle_403=True),
    )
    name, body = client.company_tickers()
    assert len(xbrl.parse_company_tickers(body, name)) == 9610
    batch = xbrl.fetch_facts(client, [SNOW, 320193, SNOW])  # a repeat is asked once
    assert [(c, s) for c, s, *_ in batch.fetches] == [(SNOW, "loaded"), (320193, "no_xbrl")]
    assert "HTTP 404" in batch.fetches[1][4]
    assert len(batch.frame) == 253
    server.script[f"/api/xbrl/companyfacts/CIK{SNOW:010d}.json"] = "truncate"
    truncated = xbrl.fetch_facts(client, [SNOW])
    assert truncated.fetches[0][1] == "failed"
    assert "IncompleteRead(1000 bytes read" in truncated.fetches[0][4]
    times = [t for t, _, _ in server.requests]
    assert {ua for _, _, ua in server.requests} == {UA}
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.125 * 0.95


def test_xbrl_403_stops_and_leaves_the_rest_for_the_next_run(server: Server) -> None:
    client = xbrl.XbrlLiveClient(
        user_agent=UA, base_url=server.url, http=http(max_requests_per_s=8.0, throttle_403=True)
    )
    server.script[f"/api/xbrl/companyfacts/CIK{320193:010d}.json"] = "403"
    batch = xbrl.fetch_facts(client, [SNOW, 320193, 789019, 1045810])
    assert [(c, s) for c, s, *_ in batch.fetches] == [(SNOW, "loaded")]
    assert batch.not_fetched == [320193, 789019, 1045810]
    assert "XBRL stopped after 1 of 4 companies" in batch.messages[0]
    assert len(server.requests) == 2  # nothing more was asked after the 403
    again = xbrl.fetch_facts(client, [789019])  # within the cool-down: no request at all
    assert again.not_fetched == [789019] and len(server.requests) == 2


def test_xbrl_needs_a_contact_user_agent() -> None:
    from sources.http import SourceSkipped

    with pytest.raises(SourceSkipped, match="no SEC User-Agent"):
        xbrl.XbrlLiveClient(user_agent="")
    with pytest.raises(ValueError, match="contact e-mail"):
        xbrl.XbrlLiveClient(user_agent="rotation-monitor")
