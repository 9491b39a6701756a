"""An iShares stand-in on 127.0.0.1 serving the real holdings files under their dates.

Asked for ``asOfDate=D`` (``…ajax?fileType=csv&fileName=<FUND>_holdings&…&asOfDate=YYYYMMDD``)
it answers the newest real file of D's month dated on or before D (what the vendor answers for a
month-end: its last business day), and for a month without a file the vendor's "no holdings"
answer (the preamble with as-of date ``-`` and the header alone). Scripted: an HTML page for
some (fund, date) pairs, HTTP 503 a given number of times for others. Files without a date in
their name (the undated no-preamble IWM file, the old-layout IJR file) are not served. Used by
``tests/flows/test_holdings_history.py`` and ``benchmarks/holdings_history.py``.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

NO_HOLDINGS = (
    b'\xef\xbb\xbfiShares Russell 2000 ETF\r\nFund Holdings as of,"-"\r\n'
    b'Inception Date,"May 22, 2000"\r\n \r\n'
    b"Ticker,Name,Sector,Asset Class,Market Value,Weight (%),Notional Value,Quantity,Price,"
    b"Location,Exchange,Currency,FX Rate,Market Currency,Accrual Date\r\n"
)
HTML = b"<!DOCTYPE html><html><head><title>iShares</title></head><body>Oops</body></html>"
_DATED = re.compile(r"^(?P<fund>[A-Z]+)\.(?P<date>\d{4}-\d{2}-\d{2})(\.[a-z-]+)?\.csv$")


@dataclass
class Stand:
    url: str
    files: dict[str, dict[dt.date, bytes]]
    html: set[tuple[str, str]] = field(default_factory=set)  # (fund, YYYYMMDD)
    fail: dict[tuple[str, str], int] = field(default_factory=dict)  # 503s still to answer
    requests: list[str] = field(default_factory=list)
    bytes_sent: int = 0


class Handler(BaseHTTPRequestHandler):
    stand: Stand

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        stand = self.stand
        stand.requests.append(self.path)
        query = parse_qs(urlsplit(self.path).query)
        fund = query["fileName"][0].removesuffix("_holdings")
        asked_text = query["asOfDate"][0]
        asked = dt.datetime.strptime(asked_text, "%Y%m%d").date()
        if stand.fail.get((fund, asked_text), 0) > 0:
            stand.fail[(fund, asked_text)] -= 1
            return self._send(503, b"<html>Service Unavailable</html>")
        if (fund, asked_text) in stand.html:
            return self._send(200, HTML)
        dated = [
            day
            for day in stand.files.get(fund, {})
            if day <= asked and (day.year, day.month) == (asked.year, asked.month)
        ]
        body = stand.files[fund][max(dated)] if dated else NO_HOLDINGS
        return self._send(200, body)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.stand.bytes_sent += len(body)


@contextmanager
def ishares_standin(holdings_dir: Path) -> Iterator[Stand]:
    """Serve ``holdings_dir``'s dated files on a free loopback port until the block ends."""
    files: dict[str, dict[dt.date, bytes]] = {}
    for path in sorted(holdings_dir.glob("*.csv")):
        match = _DATED.match(path.name)
        if match:  # the undated files have no date to be served under
            day = dt.date.fromisoformat(match["date"])
            files.setdefault(match["fund"], {})[day] = path.read_bytes()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Stand(f"http://127.0.0.1:{httpd.server_address[1]}", files)
    Handler.stand = state
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def fund_urls(stand: Stand, funds: tuple[str, ...]) -> dict[str, str]:
    """Each fund's holdings URL on the stand-in, in the live URL's form."""
    return {
        f: f"{stand.url}/us/products/1/{f}/1467271812596.ajax?fileType=csv"
        f"&fileName={f}_holdings&dataType=fund"
        for f in funds
    }
