"""A Stooq stand-in on 127.0.0.1 serving real member bars in the per-symbol endpoint layout.

The bytes are cut out of the real bulk download (``../shared/data/member-prices``): each
line's date, open, high, low, close and volume fields verbatim, as ``/q/d/l/?s=<t>.us&i=d``
answers them (``Date,Open,High,Low,Close,Volume``, dates as ``YYYY-MM-DD``), limited to
``d1``..``d2`` when asked. A request without the right ``apikey`` gets the HTML page Stooq
serves since March 2026; an unknown ticker gets ``No data``.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Stooq</title></head><body>"
    b"<p>Access to this data requires an API key. Get your free apikey at stooq.com.</p>"
    b"</body></html>"
)


def endpoint_csv(bulk: Path, tickers: set[str]) -> dict[str, bytes]:
    """Per Stooq ticker (``rgls.us``): the real rows of the bulk file as the endpoint's CSV."""
    wanted = {t.upper() for t in tickers}
    lines: dict[str, list[str]] = {t.lower(): ["Date,Open,High,Low,Close,Volume"] for t in wanted}
    with gzip.open(bulk, "rt") as text:
        next(text)
        for line in text:
            ticker = line.split(",", 1)[0]
            if ticker in wanted:
                f = line.rstrip("\n").split(",")
                day = f"{f[2][:4]}-{f[2][4:6]}-{f[2][6:8]}"
                lines[ticker.lower()].append(",".join([day, f[4], f[5], f[6], f[7], f[8]]))
    return {t: ("\n".join(rows) + "\n").encode() for t, rows in lines.items()}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.server.asked.append(query.get("s", ""))
        content_type = "text/csv"
        if parts.path != "/q/d/l/":
            body, status = b"not found", 404
        elif query.get("apikey") != self.server.apikey:
            body, status, content_type = HTML_PAGE, 200, "text/html"
        else:
            found = self.server.bodies.get(query.get("s", "").lower())
            body, status = (b"No data", 200) if found is None else (found, 200)
            if found is not None and "d1" in query and "d2" in query:
                head, *rows = found.decode().splitlines()
                d1, d2 = query["d1"], query["d2"]
                keep = [r for r in rows if d1 <= r[:10].replace("-", "") <= d2]
                body = ("\n".join([head, *keep]) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    bodies: dict[str, bytes]
    apikey: str
    asked: list[str]


@contextmanager
def stooq_standin(bodies: dict[str, bytes], *, apikey: str) -> Iterator[_Server]:
    """Start the stand-in; yield the server (``base_url`` is ``http://127.0.0.1:<port>``)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.bodies, server.apikey, server.asked = bodies, apikey, []
    thread = threading.Thread(target=server.serve_forever, name="stooq-standin", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def base_url(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"
