"""The live clients against a real HTTP server on 127.0.0.1 serving the recorded files.

The server records every request (arrival time and headers), so the User-Agent and the request
rate are measured where the SEC would measure them. Each failure mode is one server behaviour:
a 403 throttle page, 500 then 200, 429 with Retry-After, a stall (read timeout), a body
shorter than its Content-Length, a 404 for a day with no index.
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

from sources import edgar, fred, nasdaq
from sources.http import HttpClient, HttpTimeout, Throttled, TruncatedBody

UA = "Rotation Monitor Tests ops@rotation.example"
THROTTLE_PAGE = (
    b"<html><head><title>SEC.gov | Request Rate Threshold Exceeded</title></head><body>"
    b"Your Request Originates from an Undeclared Automated Tool</body></html>"
)


@dataclass
class Recorded:
    files: dict[str, bytes]
    script: list[str] = field(default_factory=list)  # behaviours for the next requests
    requests: list[tuple[float, str, str]] = field(default_factory=list)  # (t, path, UA)


class Handler(BaseHTTPRequestHandler):
    state: Recorded

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        self.state.requests.append(
            (time.monotonic(), self.path, self.headers.get("User-Agent", ""))
        )
        behaviour = self.state.script.pop(0) if self.state.script else "serve"
        if behaviour == "403":
            return self._send(403, THROTTLE_PAGE, "text/html")
        if behaviour == "500":
            return self._send(500, b"internal error", "text/plain")
        if behaviour == "429":
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if behaviour == "stall":
            time.sleep(1.5)
            return None
        body = self.state.files.get(self.path.split("?")[0].rsplit("/", 1)[-1])
        if "?" in self.path:  # api/ipo/calendar?date=…, fredgraph.csv?id=…
            query = self.path.split("?", 1)[1]
            key = query.split("=", 1)[1]
            body = self.state.files.get(key)
        if body is None:
            return self._send(404, b"<html>Not Found</html>", "text/html")
        if behaviour == "truncate":
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:100])
            self.wfile.flush()
            self.close_connection = True
            return None
        return self._send(200, body, "text/plain")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server(shared_data: Path) -> Iterator[tuple[str, Recorded]]:
    files = {
        "master.20200103.idx": (shared_data / "edgar" / "master.20200103.idx").read_bytes(),
        "master.idx": (shared_data / "edgar" / "master.1993QTR4.excerpt.idx").read_bytes(),
        "2024-06": (shared_data / "nasdaq" / "nasdaq_ipo_calendar_2024-06.json").read_bytes(),
        "ICSA": (shared_data / "fred" / "ICSA.csv").read_bytes(),
    }
    state = Recorded(files)
    handler = type("BoundHandler", (Handler,), {"state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def sec_client(url: str, **kwargs: object) -> edgar.EdgarLiveClient:
    options: dict = {"user_agent": UA, "read_timeout_s": 5.0, "max_requests_per_s": 8.0,
                     "throttle_403": True, "backoff_s": 0.05}  # fmt: skip
    options.update(kwargs)
    return edgar.EdgarLiveClient(user_agent=UA, base_url=url, http=HttpClient(**options))


def test_user_agent_arrives_and_live_equals_replay(server, shared_data: Path) -> None:
    url, state = server
    batch = edgar.fetch(sec_client(url), days=[dt.date(2020, 1, 3)], quarters=[(1993, 4)])
    assert [r[1] for r in state.requests] == [
        "/Archives/edgar/full-index/1993/QTR4/master.idx",
        "/Archives/edgar/daily-index/2020/QTR1/master.20200103.idx",
    ]
    assert {r[2] for r in state.requests} == {UA}
    path = shared_data / "edgar" / "master.20200103.idx"
    direct = edgar.parse_index(path.read_bytes(), "master.20200103.idx").rows
    live = batch.frame[batch.frame.index_file == "master.20200103.idx"]
    assert len(live) == direct.drop_duplicates(["accession", "cik"]).shape[0]
    assert batch.frame["source"].eq("sec").all()


def test_request_rate_measured_at_the_server_stays_under_the_limit(server) -> None:
    url, state = server
    days = [dt.date(2020, 1, 3) + dt.timedelta(days=i) for i in range(14)]
    batch = edgar.fetch(sec_client(url, max_requests_per_s=8.0), days=days)
    assert batch.complete and len(state.requests) == 14
    times = [r[0] for r in state.requests]
    per_window = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert per_window <= 8
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 1 / 8 - 0.02


def test_404_is_no_filings_that_day(server) -> None:
    url, _ = server
    batch = edgar.fetch(sec_client(url), days=[dt.date(2020, 10, 12)])  # Columbus Day
    assert batch.complete and batch.frame.empty and batch.problems.empty
    assert batch.index_files[["index_file", "status"]].values.tolist() == [
        ["master.20201012.idx", "no_index"]
    ]


def test_403_throttle_page_backs_off_and_reports(server) -> None:
    url, state = server
    state.script = ["403"]
    client = sec_client(url)
    days = [dt.date(2020, 1, 2), dt.date(2020, 1, 3), dt.date(2020, 1, 6)]
    started = time.monotonic()
    batch = edgar.fetch(client, days=days)
    assert time.monotonic() - started < 2.0  # no retry loop, no sleeping out the block
    assert not batch.complete
    assert len(state.requests) == 1  # stopped at the first 403
    assert (
        "HTTP 403" in batch.messages[0] and "Request Rate Threshold Exceeded" in batch.messages[0]
    )
    with pytest.raises(Throttled, match="backing off"):
        client.daily_index(dt.date(2020, 1, 3))
    assert len(state.requests) == 1  # the back-off holds without touching the server


def test_a_fresh_client_honours_the_hosts_cool_down(server) -> None:
    """A backfill that built a client per quarter asked the SEC again right after its 403."""
    from sources.http import HostCooldowns

    url, state = server
    state.script = ["403"]
    shared = HostCooldowns()
    first = sec_client(url, cooldowns=shared)
    with pytest.raises(Throttled):
        first.daily_index(dt.date(2020, 1, 3))
    second = sec_client(url, cooldowns=shared)
    with pytest.raises(Throttled, match="backing off"):
        second.daily_index(dt.date(2020, 1, 3))
    assert len(state.requests) == 1  # the second client never touched the server
    other_host = sec_client(url.replace("127.0.0.1", "localhost"), cooldowns=shared)
    assert other_host.daily_index(dt.date(2020, 1, 3)).content  # the block is per host


def test_500_then_200_succeeds(server) -> None:
    url, state = server
    state.script = ["500"]
    batch = edgar.fetch(sec_client(url), days=[dt.date(2020, 1, 3)])
    assert batch.complete and len(batch.frame) == 7989 - 60
    assert len(state.requests) == 2


def test_429_honours_retry_after(server) -> None:
    url, state = server
    state.script = ["429"]
    client = fred.FredLiveClient(base_url=url, http=HttpClient(user_agent=UA, backoff_s=0.01))
    batch = fred.fetch(client, ["ICSA"])
    assert batch.series_ok == ["ICSA"] and len(batch.frame) == 977
    first, second = state.requests[0][0], state.requests[1][0]
    assert second - first >= 0.95  # Retry-After: 1, not the 0.01 s backoff


def test_500_every_time_gives_up_after_bounded_attempts(server) -> None:
    url, state = server
    state.script = ["500"] * 10
    client = fred.FredLiveClient(
        base_url=url, http=HttpClient(user_agent=UA, backoff_s=0.01, max_attempts=3)
    )
    batch = fred.fetch(client, ["ICSA"])
    assert (
        "HTTP 500" in batch.series_failed["ICSA"]
        and "after 3 attempt(s)" in batch.series_failed["ICSA"]
    )
    assert len(state.requests) == 3


def test_read_timeout_is_a_clear_error_within_the_bound(server) -> None:
    url, state = server
    state.script = ["stall"]
    client = sec_client(url, read_timeout_s=0.3, connect_timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(HttpTimeout, match=r"no answer within the read timeout of 0\.3 s"):
        client.daily_index(dt.date(2020, 1, 3))
    assert time.monotonic() - started < 1.2
    assert len(state.requests) == 1  # a timeout is not retried


def test_truncated_body_is_a_clear_error(server) -> None:
    url, state = server
    state.script = ["truncate"]
    with pytest.raises(TruncatedBody, match=r"master\.20200103\.idx"):
        sec_client(url).daily_index(dt.date(2020, 1, 3))


def test_nasdaq_live_client_and_failure_goes_on(server) -> None:
    url, state = server
    client = nasdaq.NasdaqLiveClient(base_url=url, http=HttpClient(user_agent=UA, backoff_s=0.01))
    batch = nasdaq.fetch(client, ["2024-06", "2024-07"])
    assert batch.months_ok == ["2024-06"] and len(batch.frame) == 66
    assert "HTTP 404" in batch.months_failed["2024-07"]
    assert state.requests[0][1] == "/api/ipo/calendar?date=2024-06"
