"""A heartbeat receiver on 127.0.0.1 (healthchecks-style URLs) that records every ping."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Pings:
    url: str
    received: list[tuple[str, str]] = field(default_factory=list)  # (path, body)
    arrived: list[float] = field(default_factory=list)  # time.monotonic() of each ping

    def kinds(self) -> list[str]:
        """``start``, ``success`` or ``fail`` per ping, in arrival order."""
        names = {"/hc/start": "start", "/hc": "success", "/hc/fail": "fail"}
        return [names.get(path, path) for path, _ in self.received]


@contextmanager
def heartbeat_receiver() -> Iterator[Pings]:
    pings = Pings("")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            pings.received.append((self.path, body))
            pings.arrived.append(time.monotonic())
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    pings.url = f"http://127.0.0.1:{httpd.server_address[1]}/hc"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield pings
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
